"""Indexing started over HTTP (``POST /admin/index``): one job at a time, run on a thread of
the server through its Sabi object, and polled at ``/admin/jobs/{id}``."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from sabi.app import Sabi
from sabi.errors import IndexBusy


class IndexJob(BaseModel):
    """A job as /admin/jobs answers it; the worker thread updates it in place."""

    id: str
    paths: list[str]
    show: str | None
    tag: str | None
    status: Literal["queued", "running", "done", "failed"] = "queued"
    started: float = Field(default_factory=time.time)
    finished: float | None = None
    indexed: int = 0
    unchanged: int = 0
    failed: int = 0
    error: str | None = None


class IndexJobs:
    """The jobs this server was asked for. The lock only guards the table: the indexing
    itself is kept to one writer by the data directory's write lock, which Sabi.index takes."""

    def __init__(self, sabi: Sabi):
        self.sabi = sabi
        self._jobs: dict[str, IndexJob] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> IndexJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def start(self, paths: list[str], show: str | None, tag: str | None) -> IndexJob:
        with self._lock:
            if any(j.status in ("queued", "running") for j in self._jobs.values()):
                raise IndexBusy("an indexing job is already running")
            job = IndexJob(id=uuid.uuid4().hex[:12], paths=paths, show=show, tag=tag)
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job,), daemon=True).start()
        return job

    def _run(self, job: IndexJob) -> None:
        job.status = "running"
        try:
            report = self.sabi.index(
                [Path(p) for p in job.paths], show=job.show, tag=job.tag, threaded=True
            )
            job.indexed = report.count("indexed")
            job.unchanged = report.count("unchanged")
            job.failed = report.count("failed")
            job.status = "done"
        except Exception as exc:  # reported through the job, not lost in a thread
            job.status, job.error = "failed", str(exc) or type(exc).__name__
        finally:
            job.finished = time.time()
