"""Rich progress bars for indexing: files done, video seconds done, frames/s, x real time."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from sabi.pipeline.indexer import FileResult
from sabi.pipeline.stages import Job


class RichProgress:
    """Two bars: files, and seconds of video (whose speed is the 'x real time' figure)."""

    def __init__(self, console: Console):
        self.console = console
        self.bars = Progress(
            TextColumn("{task.description}", style="bold"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[speed]}"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        # Made now so they always exist; their totals and clocks start in ``begin``.
        self.files: TaskID = self.bars.add_task("files", start=False, speed="")
        self.video: TaskID = self.bars.add_task("video s", start=False, speed="")
        self.frames = 0
        self.t0 = time.perf_counter()
        self.done_seconds = 0.0
        self.position: dict[int, float] = {}

    def begin(self, files: int, seconds: float) -> None:
        self.bars.start()
        self.t0 = time.perf_counter()
        self.bars.update(self.files, total=files or None)
        self.bars.update(self.video, total=round(seconds) or None)
        self.bars.start_task(self.files)
        self.bars.start_task(self.video)

    def file_started(self, job: Job) -> None:
        self.position[job.episode_id] = 0.0
        self.bars.update(self.files, description=f"files: {job.label[:40]}")

    def advance(self, job: Job, position: float, frames: int) -> None:
        self.frames += frames
        self.position[job.episode_id] = position
        self._refresh()

    def file_done(self, result: FileResult) -> None:
        if result.status == "unchanged":
            return
        if result.episode_id is not None:
            self.position.pop(result.episode_id, None)
        self.done_seconds += result.duration
        self.bars.advance(self.files, 1)
        self._refresh()

    def _refresh(self) -> None:
        elapsed = max(1e-6, time.perf_counter() - self.t0)
        seconds = self.done_seconds + sum(self.position.values())
        self.bars.update(
            self.video,
            completed=round(seconds),
            speed=f"{self.frames / elapsed:.0f} frames/s, {seconds / elapsed:.1f}x real time",
        )

    def end(self) -> None:
        self.bars.stop()
