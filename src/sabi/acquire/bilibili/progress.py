"""What a download run shows: per-file bars with bytes, bytes/s and ETA, the episodes done, and
the indexing of each episode, all in one Rich live display (threads may call in at any time).

Labels and notes hold text from Bilibili and the settings ("[Oshi no Ko]", "[tag, id]"): they are
escaped (or printed with markup off), so Rich never reads them as markup and drops them."""

from __future__ import annotations

import threading

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from sabi.pipeline.indexer import FileResult
from sabi.pipeline.indexer import Progress as IndexProgress
from sabi.pipeline.stages import Job


class QuietUI:
    """No bars; notes (failures, quality fallbacks) are still printed."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)

    def begin(self, episodes: int) -> None:
        pass

    def note(self, text: str) -> None:
        self.console.print(text, highlight=False, markup=False)

    def episode_done(self) -> None:
        pass

    def end(self) -> None:
        pass

    # TransferProgress
    def start(self, key: str, label: str, total: int | None, done: int) -> None:
        pass

    def advance(self, key: str, nbytes: int) -> None:
        pass

    def finish(self, key: str) -> None:
        pass

    def indexing(self, label: str) -> IndexProgress | None:
        """What shows the indexing of one episode (None: nothing)."""
        return None


class RichUI(QuietUI):
    def __init__(self, console: Console):
        super().__init__(console)
        self.files = Progress(
            TextColumn("{task.description}", style="bold"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self.work = Progress(
            TextColumn("{task.description}", style="bold"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.live = Live(Group(self.work, self.files), console=console, refresh_per_second=8)
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()
        self._episodes: TaskID | None = None

    def begin(self, episodes: int) -> None:
        self.live.start()
        self._episodes = self.work.add_task("episodes", total=episodes or None)

    def episode_done(self) -> None:
        if self._episodes is not None:
            self.work.advance(self._episodes, 1)

    def end(self) -> None:
        self.live.stop()
        if self._episodes is not None:  # a watch begins again at its next poll
            self.work.remove_task(self._episodes)
            self._episodes = None
        if not self.console.is_terminal:
            self.console.line()

    def start(self, key: str, label: str, total: int | None, done: int) -> None:
        with self._lock:
            task = self._tasks.get(key)
            if task is None:
                self._tasks[key] = self.files.add_task(escape(label), total=total, completed=done)
            else:
                self.files.update(task, total=total, completed=done)

    def advance(self, key: str, nbytes: int) -> None:
        task = self._tasks.get(key)
        if task is not None:
            self.files.advance(task, nbytes)

    def finish(self, key: str) -> None:
        with self._lock:
            task = self._tasks.pop(key, None)
        if task is not None:
            self.files.remove_task(task)

    def indexing(self, label: str) -> IndexBar:
        return IndexBar(self.work, label)


class IndexBar:
    """sabi's indexing Progress protocol, drawn as one bar (seconds of video) in the run's
    display (a second Rich live display cannot run beside the first)."""

    def __init__(self, bars: Progress, label: str):
        self.bars = bars
        self.label = label
        self.task: TaskID | None = None

    def begin(self, files: int, seconds: float) -> None:
        self.task = self.bars.add_task(f"index {escape(self.label)}", total=round(seconds) or None)

    def file_started(self, job: Job) -> None:
        pass

    def advance(self, job: Job, position: float, frames: int) -> None:
        if self.task is not None:
            self.bars.update(self.task, completed=round(position))

    def file_done(self, result: FileResult) -> None:
        pass

    def end(self) -> None:
        if self.task is not None:
            self.bars.remove_task(self.task)
            self.task = None
