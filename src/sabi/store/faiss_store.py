"""The embedded default store: durable int8 segment files, searched through an in-memory index.

Truth lives in per-episode segment files (segments.py), the only copy of the vectors. What is
searched (memindex.py) is derived from them plus a cached, trained PQ (cache.py), and can always
be rebuilt from the segments alone.

Processes: one writer at a time (the data directory's write lock, taken by the indexer and by
removal) and any number of readers (``sabi search``, ``sabi serve``). A store only writes
anything once its owner calls ``add`` or ``delete``, which the contract reserves for the lock
holder; so a reader never creates, deletes or rewrites a file. Readers notice a writer's new
segments by the folder's mtime on the next search (new rows are encoded with the PQ they hold),
and a retrained PQ by ``cache.json``'s generation, which they load in a background thread and
swap in whole, searching the old one meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from sabi.errors import StoreMismatch
from sabi.store.base import Hit, check_batch
from sabi.store.cache import Manifest, read_manifest, read_pq, write_cache
from sabi.store.codec import as_codes, decode, default_scale, encode
from sabi.store.memindex import MemoryIndex, SearchParams, new_pq
from sabi.store.segments import (
    clean_temporaries,
    list_segments,
    read_segment,
    remove_segments,
    segment_episode,
    segment_rows,
    write_segment,
)

log = logging.getLogger(__name__)


class _Changed(Exception):
    """A segment vanished or changed between listing the folder and reading it."""


@dataclass(frozen=True)
class FaissParams:
    exact_below: int = 50_000  # frames; below this every search is exact
    rerank: int = 4000  # PQ candidates re-ranked with the int8 codes
    pq_bytes: int = 64  # PQ code bytes per frame (4-bit sub-quantisers)
    retrain_growth: float = 2.0  # retrain the PQ when the library grew this much since
    shards: int = 2  # PQ scanned in this many parallel parts (from 100k frames)
    threads: int = 0


class FaissStore:
    def __init__(
        self,
        root: Path,
        dim: int,
        params: FaissParams | None = None,
        *,
        background_reload: bool = True,
    ):
        self.root = root
        self.dim = dim
        self.params = params or FaissParams()
        self.segments = root / "segments"
        self.scale = self._read_info()
        self.background_reload = background_reload
        if self.params.threads:
            faiss.omp_set_num_threads(self.params.threads)
        wanted = new_pq(dim, self.params.pq_bytes)
        self._pq_size = wanted.code_size if wanted is not None else 0  # 0: always exact
        self._lock = threading.RLock()
        self._writer = False
        self._changed = False
        self._reloading: threading.Thread | None = None
        self._seen = self._mtimes()  # what is loaded next reflects at least this
        self._mem, self._manifest = self._load()
        self._sync(force=True)

    # ----- files

    def _read_info(self) -> float:
        info = self.root / "store.json"
        if not info.exists():
            return default_scale(self.dim)
        raw = json.loads(info.read_text())
        if raw["dim"] != self.dim:
            raise StoreMismatch(f"this store holds {raw['dim']}-d vectors, not {self.dim}-d")
        return float(raw.get("scale") or default_scale(self.dim))

    def _begin_write(self) -> None:
        """First write of this process: it holds the write lock, so it owns leftovers."""
        if self._writer:
            return
        self.segments.mkdir(parents=True, exist_ok=True)
        info = self.root / "store.json"
        raw = json.loads(info.read_text()) if info.exists() else {"dim": self.dim}
        if "scale" not in raw:
            raw["scale"] = self.scale
            tmp = self.root / ".store.json.tmp"
            tmp.write_text(json.dumps(raw))
            os.replace(tmp, info)
        clean_temporaries(self.segments)
        clean_temporaries(self.root)
        self._writer = True

    def _present(self) -> dict[str, int]:
        try:
            return list_segments(self.segments)
        except FileNotFoundError:
            return {}

    def _mtimes(self) -> tuple[int, int]:
        out = []
        for path in (self.segments, self.root / "cache.json"):
            try:
                out.append(os.stat(path).st_mtime_ns)
            except FileNotFoundError:
                out.append(-1)
        return out[0], out[1]

    # ----- building the in-memory index

    def _new_mem(self) -> MemoryIndex:
        p = self.params
        return MemoryIndex(self.dim, self.scale, SearchParams(p.exact_below, p.rerank, p.shards))

    def _read(
        self, name: str, episode_id: int
    ) -> tuple[str, int, np.ndarray, np.ndarray, np.ndarray] | None:
        try:
            vectors, starts, ends = read_segment(self.segments, name)
        except FileNotFoundError:  # removed by the writer since it was listed
            return None
        return name, episode_id, as_codes(vectors, self.scale), starts, ends

    def _append(self, mem: MemoryIndex, name: str, episode_id: int) -> bool:
        part = self._read(name, episode_id)
        if part is None:
            return False
        mem.append(*part)
        return True

    def _load(self) -> tuple[MemoryIndex, Manifest]:
        """A fresh in-memory index from the segments, reusing the cached PQ where it fits."""
        present = self._present()
        manifest = read_manifest(self.root) or Manifest()
        mem = self._new_mem()
        pq = read_pq(self.root, manifest) if manifest.token else None
        if pq is None and manifest.token:  # the writer replaced it meanwhile: once more
            manifest = read_manifest(self.root) or Manifest()
            pq = read_pq(self.root, manifest) if manifest.token else None
        if pq is not None and (pq.d, pq.code_size) != (self.dim, self._pq_size):
            pq = None  # another dimension or pq_bytes setting: train anew
        cached: list[str] = []
        gone: list[tuple[int, int]] = []
        if pq is not None:
            first = 0
            for name, rows in manifest.segments:
                if name in present:
                    cached.append(name)
                else:
                    gone.append((first, rows))
                first += rows
        # Segments the cached PQ holds, in its row order, then the rest (encoded below).
        order = cached + sorted(
            (n for n in present if n not in set(cached)), key=present.__getitem__
        )
        sizes = {n: r for n in order if (r := segment_rows(self.segments, n)) is not None}
        if pq is not None and any(n not in sizes for n in cached):
            pq = None  # one was removed by the writer since it was listed: no shortcut
        order = [n for n in order if n in sizes]
        in_cache = len(cached) if pq is not None else 0

        def parts(
            names: list[str],
        ) -> Iterator[tuple[str, int, np.ndarray, np.ndarray, np.ndarray]]:
            for name in names:
                part = self._read(name, present[name])
                if part is None or len(part[2]) != sizes[name]:
                    raise _Changed(name)
                yield part

        try:
            if pq is not None:
                mem.load(sum(sizes[n] for n in order[:in_cache]), parts(order[:in_cache]))
                for start, rows in reversed(gone):
                    pq.remove_ids(faiss.IDSelectorRange(start, start + rows))
                if pq.ntotal != mem.ntotal:  # a segment changed under its name
                    log.warning("index cache does not match the segments; rebuilding")
                    pq, mem = None, self._new_mem()
            if pq is None:
                manifest = Manifest()
                mem.load(sum(sizes.values()), parts(order))
            else:
                mem.set_pq(pq)
                for part in parts(order[in_cache:]):
                    mem.append(*part)
        except _Changed:  # the writer replaced a segment meanwhile: read the folder again
            return self._load()
        return mem, manifest

    def _train(self) -> None:
        mem = self._mem
        log.info("training the PQ on %d frames", mem.ntotal)
        mem.set_pq(mem.train_pq(self.params.pq_bytes))
        self._manifest = Manifest(
            generation=secrets.token_hex(4) if mem.pq is not None else "",
            trained_rows=mem.ntotal if mem.pq is not None else 0,
            segments=self._manifest.segments,
        )
        self._changed = True

    def _sync(self, force: bool = False) -> None:
        """Bring the in-memory index in line with the segment folder (and a newer PQ)."""
        seen = self._mtimes()
        if not force and seen == self._seen:
            return
        cache_moved = seen[1] != self._seen[1]
        self._seen = seen
        if cache_moved and not self._writer:
            self._maybe_reload()
        mem = self._mem
        present = self._present()
        for name in [n for n in mem.segments if n not in present]:
            mem.remove(name)
            self._changed = True
        for name, ep in sorted(present.items(), key=lambda item: item[1]):
            if name not in mem.segments and self._append(mem, name, ep):
                self._changed = True
        p = self.params
        if (
            self._pq_size
            and mem.ntotal >= p.exact_below
            and (
                mem.pq is None
                or (self._writer and mem.ntotal >= p.retrain_growth * self._manifest.trained_rows)
            )
        ):
            self._train()
            if self._writer:
                self._publish()  # readers pick the new PQ up now, not at the end of a long run

    def _maybe_reload(self) -> None:
        """A reader: the writer published a retrained PQ; load it aside, then swap."""
        manifest = read_manifest(self.root)
        if manifest is None or not manifest.generation:
            return
        if manifest.generation == self._manifest.generation:
            return
        if manifest.code_size != self._pq_size:
            return  # trained for another pq_bytes: of no use to this process
        if self._reloading is not None and self._reloading.is_alive():
            return
        if not self.background_reload:
            self._mem, self._manifest = self._load()
            return
        self._reloading = threading.Thread(target=self._reload, daemon=True, name="sabi-reload")
        self._reloading.start()

    def _reload(self) -> None:
        try:
            mem, manifest = self._load()
        except Exception:  # the old index keeps answering; the next change tries again
            log.exception("reloading the index failed")
            return
        with self._lock:
            self._mem, self._manifest = mem, manifest
            self._sync(force=True)

    # ----- the VectorStore interface

    def add(
        self,
        episode_id: int,
        vectors: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        *,
        show_id: int | None = None,  # one store, no partitions: unused
    ) -> None:
        vectors = check_batch(self.dim, vectors, starts, ends)
        with self._lock:
            self._begin_write()
            name = write_segment(
                self.segments, episode_id, encode(vectors, self.scale), starts, ends
            )
            remove_segments(self.segments, episode_id, keep=name)
            self._sync(force=True)

    def delete(self, episode_id: int) -> None:
        with self._lock:
            if not any(ep == episode_id for ep in self._present().values()):
                return
            self._begin_write()
            remove_segments(self.segments, episode_id)
            self._sync(force=True)

    def search(
        self,
        queries: np.ndarray,
        k: int,
        episodes: Collection[int] | None = None,
        *,
        shows: Collection[int] | None = None,  # ``episodes`` already selects the rows
    ) -> list[list[Hit]]:
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if queries.shape[1] != self.dim:
            raise ValueError(f"query vectors must be {self.dim}-d, not {queries.shape[1]}-d")
        with self._lock:
            self._sync()
            allowed = None
            if episodes is not None:
                wanted = set(episodes)
                allowed = {n for n in self._mem.segments if segment_episode(n) in wanted}
            return self._mem.search(queries, k, allowed)

    def episode_ids(self) -> set[int]:
        return set(self._present().values())

    def vectors(self, episode_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Read from the episode's segment file (the one durable copy), decoded from int8:
        importing them again encodes the very same codes."""
        for _ in range(3):  # the writer may replace the segment between listing and reading
            names = [n for n, ep in self._present().items() if ep == episode_id]
            if not names:
                break
            try:
                codes, starts, ends = read_segment(self.segments, names[0])
            except FileNotFoundError:
                continue
            order = np.argsort(starts, kind="stable")
            return (
                decode(np.asarray(codes)[order], self.scale),
                np.asarray(starts, np.float32)[order],
                np.asarray(ends, np.float32)[order],
            )
        return _no_frames(self.dim)

    def around(
        self, episode_id: int, lo: float, hi: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """From the rows held for search (what the search that asks has just seen)."""
        with self._lock:
            self._sync()
            for name in self._mem.segments:
                if segment_episode(name) == episode_id:
                    return self._mem.frames(name, lo, hi)
        return _no_frames(self.dim)

    def count(self) -> int:
        with self._lock:
            self._sync()
            return self._mem.ntotal

    def size_bytes(self) -> int:
        total = 0
        for path in self.root.rglob("*"):
            with contextlib.suppress(OSError):
                total += path.stat().st_size if path.is_file() else 0
        return total

    def flush(self) -> None:
        """The end of a write run: publish the derived index so the next open does not rebuild
        it, and go back to being a reader (the write lock is about to be released)."""
        with self._lock:
            if not self._writer:
                return
            if self._changed:
                self._publish()
            self._writer = False

    def _publish(self) -> None:
        order = sorted(self._mem.segments.items(), key=lambda item: item[1][0])
        self._manifest.segments = [(name, rows) for name, (_, rows) in order]
        self._manifest = write_cache(self.root, self._manifest, self._mem.pq)
        self._changed = False
        self._seen = self._mtimes()

    def wait_reload(self, timeout: float | None = None) -> None:
        """Wait for a background reload in progress (tests, benchmarks)."""
        thread = self._reloading
        if thread is not None:
            thread.join(timeout)

    def close(self) -> None:
        try:
            self.flush()
        except OSError as exc:
            log.warning("could not save the index cache: %s", exc)


def _no_frames(dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros((0, dim), np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32)
