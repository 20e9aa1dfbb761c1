"""A queue worker: claim a job, index its file as ``sabi index`` would, complete it; repeat.

Many workers may run at once, on one machine or many, when both stores are shared servers (a
Milvus server and a PostgreSQL catalogue): each writes only the episode of the job it holds. With
an embedded store (FAISS, Milvus Lite) or a SQLite catalogue a worker takes the data directory's
write lock for as long as it runs, as ``sabi index`` does: one writer.

No episode is indexed twice: the store's ``add`` replaces an episode's vectors, the episode is
marked indexed only after ``add`` returned, and every write to the store is made under a lease
just renewed. A worker that finds its lease gone (it stalled past it and another worker took the
job) stops without writing; a dead worker's job is taken again once its lease runs out, and the
new holder's ``add`` replaces whatever partial vectors the dead one left.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy.exc import IntegrityError

from sabi.catalog import Catalog
from sabi.describe.base import Embedder
from sabi.locks import DirLock, write_lock
from sabi.pipeline.indexer import FileResult, Indexer, NoProgress, Source
from sabi.pipeline.queue import JobQueue, JobView
from sabi.pipeline.stages import Job
from sabi.settings import Settings
from sabi.stopping import two_stage_stop
from sabi.store.base import Hit, VectorStore

log = logging.getLogger(__name__)

#: Tests name a step here to have the worker SIGKILLed there, as ``kill -9`` would:
#: ``worker-advance`` (mid-episode, nothing stored yet) or ``worker-added`` (vectors stored, the
#: episode not yet marked indexed).
STOP_AT_ENV = "SABI_TEST_KILL_AT"


def _stop_point(name: str) -> None:
    if os.environ.get(STOP_AT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def shared_backends(settings: Settings) -> bool:
    """Whether the store and the catalogue are servers that several writers may share."""
    server_store = settings.store == "milvus" and not settings.milvus.endswith(".db")
    return server_store and not settings.database.startswith("sqlite")


class LeaseLost(Exception):
    """This worker no longer holds its job: another worker has it now."""


class Lease:
    """The lease on the job being worked on, renewed by a heartbeat thread while it lasts."""

    def __init__(self, queue: JobQueue, worker: str, seconds: float):
        self.queue = queue
        self.worker = worker
        self.seconds = seconds
        self.job_id: int | None = None
        self.lost = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def holding(self, job_id: int) -> Iterator[Lease]:
        self.job_id = job_id
        self.lost.clear()
        self._done.clear()
        self._thread = threading.Thread(target=self._beat, name="lease", daemon=True)
        self._thread.start()
        try:
            yield self
        finally:
            self._done.set()
            self._thread.join()
            self.job_id = None

    def _beat(self) -> None:
        interval = max(0.2, self.seconds / 3)
        while not self._done.wait(interval):
            try:
                if not self._renew():
                    return
            except Exception as exc:  # the database is away for a moment: try again
                log.warning("could not renew the lease on job %s: %s", self.job_id, exc)

    def _renew(self) -> bool:
        if self.job_id is None or not self.queue.renew(self.job_id, self.worker, self.seconds):
            self.lost.set()
            return False
        return True

    def check(self) -> None:
        """Renew now, before a write; LeaseLost if the job is no longer ours."""
        if self.lost.is_set() or not self._renew():
            raise LeaseLost(f"job {self.job_id} was taken by another worker")


class LeasedStore:
    """The store, with every write made under a just-renewed lease (reads pass through)."""

    def __init__(self, store: VectorStore, lease: Lease):
        self.inner = store
        self.lease = lease
        self.dim = store.dim

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def add(
        self,
        episode_id: int,
        vectors: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        **options: Any,
    ) -> None:
        self._check()
        self.inner.add(episode_id, vectors, starts, ends, **options)
        _stop_point("worker-added")

    def _check(self) -> None:
        if self.lease.job_id is not None:  # outside a job: a lone worker's start-up reconcile
            self.lease.check()

    def delete(self, episode_id: int) -> None:
        self._check()
        self.inner.delete(episode_id)

    def search(
        self, queries: np.ndarray, k: int, episodes: Collection[int] | None = None
    ) -> list[list[Hit]]:
        return self.inner.search(queries, k, episodes)

    def episode_ids(self) -> set[int]:
        return self.inner.episode_ids()

    def count(self) -> int:
        return self.inner.count()

    def size_bytes(self) -> int:
        return self.inner.size_bytes()

    def flush(self) -> None:
        self.inner.flush()

    def close(self) -> None:
        self.inner.close()


class _LeaseProgress(NoProgress):
    """Stops an episode early once its lease is lost (checked per batch of frames)."""

    def __init__(self, lease: Lease):
        self.lease = lease

    def advance(self, job: Job, position: float, frames: int) -> None:
        _stop_point("worker-advance")
        if self.lease.lost.is_set():
            raise LeaseLost(f"job {self.lease.job_id} was taken by another worker")


@dataclass(frozen=True)
class JobOutcome:
    """What became of one claimed job. ``status``: done (indexed or unchanged), retry (failed,
    queued again), failed (no attempts left), lost (another worker holds it now)."""

    job: JobView
    status: str
    result: FileResult | None
    seconds: float
    error: str | None = None


@dataclass
class WorkReport:
    worker: str
    outcomes: list[JobOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


class Worker:
    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        store: VectorStore,
        embedder: Embedder,
        *,
        name: str | None = None,
        on_job: Callable[[JobOutcome], None] | None = None,
    ):
        self.settings = settings
        self.name = name or worker_id()
        self.queue = JobQueue(catalog)
        self.lease = Lease(self.queue, self.name, settings.lease_seconds)
        self.store = store
        leased = LeasedStore(store, self.lease)
        self.indexer = _retry_once(
            lambda: Indexer(settings, catalog, cast(VectorStore, leased), embedder)
        )
        self.on_job = on_job or (lambda _: None)
        self.stop = threading.Event()  # set: finish the current job, then return
        # On a Milvus server an insert is durable and visible (Strong reads) when it returns; a
        # flush per job would only seal many small segments, so it is left to the server's own
        # policy and to this worker's exit. Embedded stores publish after every job.
        self.shared = shared_backends(settings)

    def run(self, *, once: bool = False, max_jobs: int | None = None) -> WorkReport:
        """Work until stopped; ``once``: until no job is queued or running; ``max_jobs``: until
        that many were claimed."""
        lock: DirLock | None = None
        if not self.shared:
            lock = write_lock(self.settings.data_dir)
        report = WorkReport(self.name)
        try:
            if lock is not None:
                self.indexer.reconcile()  # the only writer: as `sabi index` starts
            while not self.stop.is_set():
                job = self.queue.claim(self.name, self.settings.lease_seconds)
                if job is None:
                    if once and self.queue.pending() == 0:
                        break
                    self.stop.wait(self.settings.worker_poll)
                    continue
                outcome = self._one(job)
                report.outcomes.append(outcome)
                self.on_job(outcome)
                if max_jobs is not None and len(report.outcomes) >= max_jobs:
                    break
        finally:
            try:
                self.store.flush()
            finally:
                if lock is not None:
                    lock.release()
        return report

    def _one(self, job: JobView) -> JobOutcome:
        t0 = time.perf_counter()
        source = Source(show=job.show, tag=job.tag, episode=job.episode, link=job.link)
        with self.lease.holding(job.id):
            try:
                result = self.indexer.index_one(
                    Path(job.path), source, progress=_LeaseProgress(self.lease)
                )
                if not self.shared:
                    self.store.flush()  # publish it to readers now: a worker may run for days
            except LeaseLost as exc:
                return JobOutcome(job, "lost", None, time.perf_counter() - t0, str(exc))
            except Exception as exc:  # this job only: a store or database error, a bug
                log.exception("job %d (%s)", job.id, job.path)
                result = FileResult(Path(job.path), "failed", error=f"{type(exc).__name__}: {exc}")
            except BaseException:  # Ctrl-C twice, SystemExit: give the job back untried
                self.queue.release(job.id, self.name)
                raise
        seconds = time.perf_counter() - t0
        if result.status == "failed":
            error = result.error or "failed"
            if not self.queue.fail(job.id, self.name, error):
                return JobOutcome(job, "lost", result, seconds, error)
            left = self.queue.get(job.id)
            status = "failed" if left is not None and left.state == "failed" else "retry"
            return JobOutcome(job, status, result, seconds, error)
        if not self.queue.complete(job.id, self.name, result.episode_id):
            return JobOutcome(job, "lost", result, seconds, "the lease ran out before the end")
        return JobOutcome(job, "done", result, seconds)


def _retry_once(make: Callable[[], Indexer]) -> Indexer:
    """Two workers starting on a new catalogue may both record its descriptor; the loser of
    that race finds it recorded on a second try."""
    try:
        return make()
    except IntegrityError:
        return make()


@contextlib.contextmanager
def stop_on_signals(worker: Worker, say: Callable[[str], None]) -> Iterator[None]:
    """SIGINT/SIGTERM once: finish the current job, then stop. Twice: stop now (the job is
    given back to the queue)."""
    with two_stage_stop(
        worker.stop,
        lambda _signum: say(
            "stopping after the current job, if any (again: stop now and give the job back)"
        ),
    ):
        yield
