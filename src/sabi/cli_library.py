"""`sabi export`, `sabi import` and `sabi db upgrade`: moving a library and its schema.

Thin: the work is ``Sabi.export`` / ``Sabi.import_file`` (sabi.pipeline.export,
sabi.pipeline.precomputed) and ``sabi.catalog.upgrade_schema``; cli.py registers these.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sabi.app import Sabi, load_config
from sabi.catalog import upgrade_schema
from sabi.cli_options import ConfigOpt, DataDirOpt

out = Console(markup=False, highlight=False, soft_wrap=True)


def export(
    file: Annotated[Path, typer.Argument(help="Vector file to write (.npz, docs/vectors.md).")],
    show: Annotated[
        str | None, typer.Option("--show", help="Only this show (its exact title).")
    ] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Write the library's vectors, times, shows and episodes to a file, for `sabi import`
    into another store or machine (no video is decoded)."""
    with Sabi.open(config, create=False, data_dir=data_dir) as sabi:
        report = sabi.export(file, show=show)
    out.print(f"{file}: {report.episodes} episode(s), {report.frames} frames ({report.descriptor})")


def import_(
    files: Annotated[list[Path], typer.Argument(help="Vector files from `sabi export`.")],
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Add the episodes of exported (or any precomputed) vector files, with their facts."""
    with Sabi.open(config, data_dir=data_dir) as sabi:
        for path in files:
            ids, frames = sabi.import_file(path)
            out.print(f"{path}: imported {len(ids)} episode(s), {frames} frames")


db_app = typer.Typer(help="The catalogue database (SQLite or PostgreSQL).", no_args_is_help=True)


@db_app.command()
def upgrade(
    json_out: Annotated[bool, typer.Option("--json", help="Versions as JSON.")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Create or upgrade the catalogue's tables and print the schema versions. Every process
    also does this when it opens the catalogue; run it once before starting many."""
    settings = load_config(config, data_dir=data_dir)
    after, before = upgrade_schema(settings.database)
    if json_out:
        rows = [
            {"schema": v.name, "before": b, "version": v.current, "latest": v.latest}
            for v, b in zip(after, before, strict=True)
        ]
        out.print(json.dumps({"database": _redacted(settings.database), "schemas": rows}))
        return
    out.print(f"database: {_redacted(settings.database)}")
    for v, b in zip(after, before, strict=True):
        moved = f"upgraded from {b}" if b != v.current else "up to date"
        out.print(f"  {v.name}: version {v.current} ({moved})")


def _redacted(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
