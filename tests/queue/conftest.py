"""Queue test fixtures: a few short generated videos (distinct pictures, a few seconds each)."""

from __future__ import annotations

from pathlib import Path

import pytest
from media import make_video

SOURCES = ("testsrc2", "mandelbrot", "life", "rgbtestsrc")


@pytest.fixture(scope="session")
def short_videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Four 3-second 320x180 clips of one show, 'Queue Show - 01..04.mp4'."""
    folder = tmp_path_factory.mktemp("queue-media") / "Queue Show"
    folder.mkdir()
    return [
        make_video(folder / f"Queue Show - {i:02d}.mp4", source, seconds=3, size=(320, 180))
        for i, source in enumerate(SOURCES, 1)
    ]
