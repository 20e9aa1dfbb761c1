"""Index videos: plan which files need work, run the stages, record the outcome.

Crash safety comes from the order of writes: a row is 'indexing' before any vector is stored,
becomes 'indexed' only after the store's ``add`` returned (durable), and every run starts by
deleting vectors of rows that never reached 'indexed'. So a kill at any point leaves nothing the
next run cannot finish, and never an episode marked done without its vectors.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from sabi.acquire.episode_number import parse_episode_number
from sabi.acquire.local import FileState, find_videos, fingerprint
from sabi.catalog import Catalog
from sabi.describe.base import Embedder
from sabi.locks import write_lock
from sabi.pipeline.runner import Stage, run_serial, run_threaded
from sabi.pipeline.stages import (
    Finished,
    Job,
    Started,
    Timings,
    Vectors,
    decode_stage,
    embed_stage,
)
from sabi.prepare.decode import probe
from sabi.settings import Settings
from sabi.store.base import VectorStore


@dataclass
class FileResult:
    path: Path
    status: str  # indexed | unchanged | failed
    episode_id: int | None = None
    frames: int = 0
    sampled: int = 0
    duration: float = 0.0
    error: str | None = None


@dataclass
class RunReport:
    results: list[FileResult] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    wall: float = 0.0
    resumed: int = 0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def video_seconds(self) -> float:
        return sum(r.duration for r in self.results if r.status == "indexed")

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0


@dataclass(frozen=True)
class Source:
    """What the user said about the files of one run (None: guess from the file names)."""

    show: str | None = None
    tag: str | None = None
    episode: float | None = None
    link: str | None = None


class Progress(Protocol):
    def begin(self, files: int, seconds: float) -> None: ...
    def file_started(self, job: Job) -> None: ...
    def advance(self, job: Job, position: float, frames: int) -> None: ...
    def file_done(self, result: FileResult) -> None: ...
    def end(self) -> None: ...


class NoProgress:
    def begin(self, files: int, seconds: float) -> None:
        pass

    def file_started(self, job: Job) -> None:
        pass

    def advance(self, job: Job, position: float, frames: int) -> None:
        pass

    def file_done(self, result: FileResult) -> None:
        pass

    def end(self) -> None:
        pass


def guess_show(path: Path, target: Path) -> str:
    """A folder given as the target names the show; a lone file names it by its stem."""
    if target.is_dir():
        return target.resolve().name
    stem = re.sub(r"\[[^\]]*\]|\([^)]*\)|【[^】]*】", " ", path.stem)
    stem = re.split(r"\s-\s\d|[Ss]\d{1,2}[Ee]\d|第\s*\S+?[话話集]|\bEP?\s?\d", stem)[0]
    return re.sub(r"[\s._]+", " ", stem).strip(" -") or path.stem


class Indexer:
    def __init__(
        self, settings: Settings, catalog: Catalog, store: VectorStore, embedder: Embedder
    ):
        self.settings = settings
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        catalog.bind_descriptor(embedder.name, embedder.dim)

    def reconcile(self) -> int:
        """Drop vectors of episodes that never finished; finish interrupted removals."""
        unfinished = self.catalog.unfinished()
        for episode_id in unfinished:
            self.store.delete(episode_id)
        for episode_id in self.store.episode_ids() - self.catalog.indexed_ids():
            self.store.delete(episode_id)
        self.catalog.delete_episodes(self.catalog.ids_with_status("removing"))
        return len(unfinished)

    def remove(self, episode_ids: Iterable[int]) -> int:
        ids = list(episode_ids)
        for episode_id in ids:
            self.catalog.update_episode(episode_id, status="removing")
        for episode_id in ids:
            self.store.delete(episode_id)
        self.store.flush()
        self.catalog.delete_episodes(ids)
        return len(ids)

    def plan(
        self, targets: list[Path], source: Source = Source()
    ) -> tuple[list[Job], list[FileResult]]:
        """Jobs for files that need indexing, and results for those that do not."""
        jobs: list[Job] = []
        done: list[FileResult] = []
        for target in targets:
            for path in find_videos([target]):
                planned = self._plan_one(path, target, source)
                if isinstance(planned, Job):
                    jobs.append(planned)
                else:
                    done.append(planned)
        return jobs, done

    def _plan_one(self, path: Path, target: Path, source: Source) -> Job | FileResult:
        state = FileState.of(path)
        row = self.catalog.episode_by_path(str(path))
        title = source.show or guess_show(path, target)
        show_id = self.catalog.ensure_show(title, source.tag)
        if row is not None and row.status == "indexed":
            same = row.size == state.size and row.mtime == state.mtime
            if not same and row.size == state.size and fingerprint(path) == row.fingerprint:
                self.catalog.update_episode(row.id, mtime=state.mtime)
                same = True
            if same:
                if row.show_id != show_id and source.show is not None:
                    self.catalog.update_episode(row.id, show_id=show_id)
                return FileResult(path, "unchanged", row.id, row.frame_count, 0, row.duration)
            self.store.delete(row.id)  # changed: old frames go before new ones come
        number = source.episode
        if number is None:
            number = parse_episode_number(path.name)
        episode_id = self.catalog.begin_episode(
            show_id,
            str(path),
            filename=path.name,
            number=number,
            size=state.size,
            mtime=state.mtime,
            fingerprint=fingerprint(path),
            descriptor=self.embedder.name,
            link=source.link,
        )
        return Job(episode_id, path, f"{title} {number:g}" if number is not None else path.name)

    def resumable(self) -> list[Job]:
        """Episodes a previous run left unfinished whose files still exist."""
        jobs = []
        for episode_id in self.catalog.ids_with_status("indexing"):
            view = self.catalog.views([episode_id]).get(episode_id)
            if view is not None and Path(view.path).is_file():
                jobs.append(Job(episode_id, Path(view.path), view.filename))
        return jobs

    def run(
        self,
        targets: list[Path],
        source: Source = Source(),
        *,
        progress: Progress | None = None,
        threaded: bool = True,
    ) -> RunReport:
        progress = progress or NoProgress()
        lock = write_lock(self.settings.data_dir)
        try:
            report = RunReport()
            t0 = time.perf_counter()
            resumable = {j.path: j for j in self.resumable()}
            self.reconcile()
            jobs, done = self.plan(targets, source)
            planned = {j.path for j in jobs}
            extra = [j for p, j in resumable.items() if p not in planned]
            report.resumed = len(extra)
            jobs += extra
            report.results.extend(done)
            total = sum(_duration(j.path) for j in jobs)
            progress.begin(len(jobs), total)
            for result in done:
                progress.file_done(result)
            if jobs:
                for result in self._index(jobs, report.timings, progress, threaded):
                    report.results.append(result)
                    progress.file_done(result)
            report.wall = time.perf_counter() - t0
            return report
        finally:
            progress.end()
            self.store.flush()
            lock.release()

    def index_one(
        self,
        path: Path,
        source: Source,
        *,
        progress: Progress | None = None,
        threaded: bool = True,
        timings: Timings | None = None,
    ) -> FileResult:
        """One file, planned and indexed as ``run`` does it, but without the data directory's
        write lock and without ``reconcile``: for a queue worker, whose lease on the file's job
        is what keeps other writers off this episode, and beside whom other workers' episodes
        are unfinished only because they are being indexed now."""
        jobs, done = self.plan([path], source)
        if done:
            return done[0]
        if not jobs:
            return FileResult(path, "failed", error="no such video file")
        progress = progress or NoProgress()
        results = list(self._index(jobs, timings or Timings(), progress, threaded))
        return results[0]

    def _index(
        self, jobs: list[Job], timings: Timings, progress: Progress, threaded: bool
    ) -> Iterator[FileResult]:
        stages: list[Stage] = [
            decode_stage(self.settings, timings),
            embed_stage(self.embedder, timings),
        ]
        messages = (run_threaded if threaded else run_serial)(jobs, stages)
        pending: dict[int, list[Vectors]] = {}
        for msg in messages:
            if isinstance(msg, Started):
                pending[msg.job.episode_id] = []
                progress.file_started(msg.job)
            elif isinstance(msg, Vectors):
                pending[msg.job.episode_id].append(msg)
                progress.advance(msg.job, msg.position, len(msg.vectors))
            elif isinstance(msg, Finished):
                yield self._finish(msg, pending.pop(msg.job.episode_id, []), timings)

    def _finish(self, msg: Finished, parts: list[Vectors], timings: Timings) -> FileResult:
        job = msg.job
        info = job.info
        duration = info.duration if info else 0.0
        if msg.error is None and not parts:
            msg.error = "every sampled frame was black"
        if msg.error is not None:
            self.store.delete(job.episode_id)
            self.catalog.update_episode(job.episode_id, status="failed", error=msg.error)
            return FileResult(job.path, "failed", job.episode_id, error=msg.error)
        t0 = time.perf_counter()
        vectors = np.concatenate([p.vectors for p in parts])
        starts = np.concatenate([p.starts for p in parts])
        ends = np.concatenate([p.ends for p in parts])
        view = self.catalog.views([job.episode_id]).get(job.episode_id)
        show_id = view.show_id if view is not None else None  # Milvus's partition key
        self.store.add(job.episode_id, vectors, starts, ends, show_id=show_id)
        timings.store += time.perf_counter() - t0
        last = float(ends.max()) if len(ends) else 0.0
        self.catalog.set_cuts(job.episode_id, job.cuts)
        self.catalog.set_samples(job.episode_id, job.samples)
        self.catalog.update_episode(
            job.episode_id,
            status="indexed",
            duration=max(duration, last),
            fps=info.fps if info else 0.0,
            width=info.width if info else 0,
            height=info.height if info else 0,
            frames_sampled=job.distinct.sampled,
            frame_count=len(vectors),
        )
        return FileResult(
            job.path,
            "indexed",
            job.episode_id,
            len(vectors),
            job.distinct.sampled,
            max(duration, last),
        )


def _duration(path: Path) -> float:
    try:
        return probe(path).duration
    except Exception:
        return 0.0
