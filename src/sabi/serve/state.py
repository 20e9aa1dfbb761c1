"""What one server process holds: the loaded model and index, previews, keys and limits.

Loaded once per process. Searches share one Searcher (onnxruntime sessions are safe to run
from several threads); the vector store is guarded by a lock, since FAISS indexes are read
mostly but reloaded when another process adds segments, and written by admin indexing.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sabi.app import Sabi
from sabi.catalog.models import Base, Cut
from sabi.errors import IndexBusy
from sabi.locks import write_lock
from sabi.pipeline.indexer import Indexer, Source
from sabi.search.searcher import Searcher
from sabi.serve.keys import KeyStore, Limiter
from sabi.serve.pool import BoundedPool
from sabi.serve.previews import Previews
from sabi.serve.tokens import PreviewSigner, load_secret
from sabi.settings import Settings
from sabi.store.base import Hit, VectorStore


class LockedStore:
    """A VectorStore whose every call holds one lock."""

    def __init__(self, store: VectorStore):
        self._store = store
        self._lock = threading.RLock()
        self.dim = store.dim

    def add(self, episode_id: int, vectors: np.ndarray, starts: np.ndarray, ends: np.ndarray):
        with self._lock:
            return self._store.add(episode_id, vectors, starts, ends)

    def delete(self, episode_id: int) -> None:
        with self._lock:
            self._store.delete(episode_id)

    def search(
        self, queries: np.ndarray, k: int, episodes: Collection[int] | None = None
    ) -> list[list[Hit]]:
        with self._lock:
            return self._store.search(queries, k, episodes)

    def episode_ids(self) -> set[int]:
        with self._lock:
            return self._store.episode_ids()

    def count(self) -> int:
        with self._lock:
            return self._store.count()

    def size_bytes(self) -> int:
        with self._lock:
            return self._store.size_bytes()

    def flush(self) -> None:
        with self._lock:
            self._store.flush()

    def close(self) -> None:
        with self._lock:
            self._store.close()


@dataclass
class IndexJob:
    id: str
    paths: list[str]
    show: str | None
    tag: str | None
    status: str = "queued"  # queued | running | done | failed
    started: float = field(default_factory=time.time)
    finished: float | None = None
    indexed: int = 0
    unchanged: int = 0
    failed: int = 0
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class ServerState:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.sabi = Sabi(settings)
        catalog = self.sabi.catalog
        Base.metadata.create_all(catalog.engine, tables=[Cut.__table__])
        self.embedder = self.sabi.embedder  # loads the model now, not on the first request
        self.store = LockedStore(self.sabi.store)
        self.searcher = Searcher(settings, catalog, self.store, self.embedder)
        self.keys = KeyStore(catalog)
        self.limiter = Limiter(settings, self.keys)
        self.signer = PreviewSigner(
            load_secret(settings.secret, settings.data_dir), settings.preview_ttl
        )
        self.previews = Previews(settings, catalog)
        self.search_pool = BoundedPool(settings.search_workers, settings.search_queue, "search")
        self.preview_pool = BoundedPool(
            settings.preview_workers, settings.preview_workers * 4, "preview"
        )
        self.jobs: dict[str, IndexJob] = {}
        self._job_lock = threading.Lock()

    @property
    def catalog(self):
        return self.sabi.catalog

    def indexer(self) -> Indexer:
        return Indexer(self.settings, self.catalog, self.store, self.embedder)

    def start_index(self, paths: list[str], show: str | None, tag: str | None) -> IndexJob:
        with self._job_lock:
            if any(j.status in ("queued", "running") for j in self.jobs.values()):
                raise IndexBusy("an indexing job is already running")
            job = IndexJob(uuid.uuid4().hex[:12], paths, show, tag)
            self.jobs[job.id] = job
        threading.Thread(target=self._run_index, args=(job,), daemon=True).start()
        return job

    def _run_index(self, job: IndexJob) -> None:
        job.status = "running"
        try:
            report = self.indexer().run(
                [Path(p) for p in job.paths], Source(show=job.show, tag=job.tag), threaded=True
            )
            job.indexed = report.count("indexed")
            job.unchanged = report.count("unchanged")
            job.failed = report.count("failed")
            job.status = "done"
        except Exception as exc:  # reported through the job, not lost in a thread
            job.status, job.error = "failed", str(exc) or type(exc).__name__
        finally:
            job.finished = time.time()

    def remove(self, ids: list[int]) -> int:
        lock = write_lock(self.settings.data_dir)
        try:
            return self.indexer().remove(ids)
        finally:
            lock.release()

    def close(self) -> None:
        self.search_pool.shutdown()
        self.preview_pool.shutdown()
        self.sabi.close()
