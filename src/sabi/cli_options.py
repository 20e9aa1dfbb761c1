"""Command-line options shared by the `sabi` command and its sub-command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sabi.settings import CONFIG_NAME

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help=f"Settings file (default ./{CONFIG_NAME}).")
]
DataDirOpt = Annotated[
    Path | None, typer.Option("--data-dir", "-d", help="Data directory (index, database).")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]

# What to index: `sabi index` and `sabi enqueue` take the same arguments.
VideosArg = Annotated[list[Path], typer.Argument(help="Video files or folders (recursive).")]
ShowOpt = Annotated[
    str | None, typer.Option(help="Show title (default: from the folder/file name).")
]
TagOpt = Annotated[str | None, typer.Option(help="Tag to filter searches by.")]
EpisodeOpt = Annotated[float | None, typer.Option(help="Episode number (single file only).")]
