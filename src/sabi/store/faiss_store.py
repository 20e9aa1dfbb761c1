"""The embedded default store: durable segment files + an in-memory FAISS index as a cache.

Truth lives in per-episode segment files (see segments.py). The FAISS index is derived: it is
saved on close to start fast next time, and on open it is reconciled with the segment folder:
new segments are added, vanished ones masked out, and it is rebuilt when too much of it is dead
or when it grows past ``exact_below`` and switches from exact search to HNSW. A reader (the web
server) notices segments written by another process (the indexer) by the folder's mtime.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from sabi.store.base import Hit, check_batch
from sabi.store.segments import (
    clean_temporaries,
    list_segments,
    read_segment,
    remove_segments,
    write_segment,
)

log = logging.getLogger(__name__)

REBUILD_DEAD_SHARE = 0.25
BRUTE_FORCE_ROWS = 100_000  # filtered searches over fewer rows than this are exact


@dataclass(frozen=True)
class FaissParams:
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 128
    exact_below: int = 50_000
    threads: int = 0


class FaissStore:
    def __init__(
        self, root: Path, dim: int, params: FaissParams | None = None, writable: bool = True
    ):
        self.root = root
        self.dim = dim
        self.params = params or FaissParams()
        self.segments = root / "segments"
        self.segments.mkdir(parents=True, exist_ok=True)
        self._check_dim()
        if writable:
            clean_temporaries(self.segments)
        if self.params.threads:
            faiss.omp_set_num_threads(self.params.threads)
        self._reset()
        self._changed = False
        self._seen_mtime = -1
        if not self._load_cache():
            self._rebuild()
        self._sync(force=True)

    # ----- bookkeeping

    def _check_dim(self) -> None:
        info = self.root / "store.json"
        if info.exists():
            stored = json.loads(info.read_text())["dim"]
            if stored != self.dim:
                raise ValueError(f"this store holds {stored}-d vectors, not {self.dim}-d")
        else:
            info.write_text(json.dumps({"dim": self.dim}))

    def _reset(self) -> None:
        self.index = self._new_index(0)
        self._names: dict[str, tuple[int, int]] = {}  # segment name -> (first row, rows)
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._ep = np.zeros(0, np.int64)
        self._start = np.zeros(0, np.float32)
        self._end = np.zeros(0, np.float32)
        self._alive = np.zeros(0, bool)

    def _new_index(self, rows: int) -> faiss.Index:
        """Vectors are held in half precision, like the segments: half the memory and cache
        file of float32, the same answers (no training needed, unlike 8-bit quantisers)."""
        fp16 = faiss.ScalarQuantizer.QT_fp16
        if rows < self.params.exact_below:
            return faiss.IndexScalarQuantizer(self.dim, fp16, faiss.METRIC_INNER_PRODUCT)
        index = faiss.IndexHNSWSQ(self.dim, fp16, self.params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.params.ef_construction
        return index

    @property
    def _is_hnsw(self) -> bool:
        return isinstance(self.index, faiss.IndexHNSW)

    def _materialise(self) -> None:
        if not self._chunks:
            return
        eps, starts, ends = zip(*self._chunks, strict=True)
        self._ep = np.concatenate([self._ep, *eps])
        self._start = np.concatenate([self._start, *starts])
        self._end = np.concatenate([self._end, *ends])
        added = sum(len(e) for e in eps)
        self._alive = np.concatenate([self._alive, np.ones(added, bool)])
        self._chunks = []

    def _append(self, name: str, episode_id: int) -> None:
        vectors, starts, ends = read_segment(self.segments, name)
        first = self.index.ntotal + 0
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._names[name] = (first, len(vectors))
        self._chunks.append(
            (np.full(len(vectors), episode_id, np.int64), np.array(starts), np.array(ends))
        )
        self._changed = True

    def _rebuild(self) -> None:
        present = list_segments(self.segments)
        total = sum(_rows(self.segments / n) for n in present)
        self._reset()
        self.index = self._new_index(total)
        for name, ep in sorted(present.items(), key=lambda item: item[1]):
            self._append(name, ep)
        self._materialise()
        self._changed = True

    def _sync(self, force: bool = False) -> None:
        """Bring the in-memory index in line with the segment folder."""
        mtime = os.stat(self.segments).st_mtime_ns
        if not force and mtime == self._seen_mtime:
            return
        self._seen_mtime = mtime
        present = list_segments(self.segments)
        self._materialise()
        for name in [n for n in self._names if n not in present]:
            first, rows = self._names.pop(name)
            self._alive[first : first + rows] = False
            self._changed = True
        new = {n: ep for n, ep in present.items() if n not in self._names}
        live_rows = int(self._alive.sum())
        dead_share = 1 - live_rows / len(self._alive) if len(self._alive) else 0.0
        new_rows = sum(_rows(self.segments / n) for n in new)
        crosses = not self._is_hnsw and live_rows + new_rows >= self.params.exact_below
        if dead_share > REBUILD_DEAD_SHARE or crosses:
            self._rebuild()
            return
        for name, ep in sorted(new.items(), key=lambda item: item[1]):
            self._append(name, ep)
        self._materialise()

    # ----- the cache

    def _load_cache(self) -> bool:
        meta = self.root / "cache.npz"
        if not meta.exists():
            return False
        try:
            with np.load(meta, allow_pickle=False) as z:
                token = str(z["token"])
                names = [str(n) for n in z["names"]]
                firsts, counts = z["firsts"], z["counts"]
                ep, start, end, alive = z["ep"], z["start"], z["end"], z["alive"]
            index = faiss.read_index(str(self.root / f"cache-{token}.faiss"))
        except Exception as exc:  # a damaged cache is only a slower start
            log.warning("index cache unreadable (%s); rebuilding from segments", exc)
            return False
        if index.ntotal != len(ep) or index.d != self.dim:
            return False
        self.index = index
        self._names = {n: (int(f), int(c)) for n, f, c in zip(names, firsts, counts, strict=True)}
        self._ep, self._start, self._end, self._alive = ep, start, end, alive
        self._changed = False
        return True

    def flush(self) -> None:
        """Save the derived index so the next open does not rebuild it."""
        self._materialise()
        if not self._changed:
            return
        token = secrets.token_hex(4)
        tmp_index = self.root / f".cache-{token}.faiss.tmp"
        faiss.write_index(self.index, str(tmp_index))
        os.replace(tmp_index, self.root / f"cache-{token}.faiss")
        names = list(self._names)
        tmp_meta = self.root / ".cache.npz.tmp"
        with tmp_meta.open("wb") as fh:
            np.savez(
                fh,
                token=np.array(token),
                names=np.array(names, dtype=str),
                firsts=np.array([self._names[n][0] for n in names], np.int64),
                counts=np.array([self._names[n][1] for n in names], np.int64),
                ep=self._ep,
                start=self._start,
                end=self._end,
                alive=self._alive,
            )
        os.replace(tmp_meta, self.root / "cache.npz")
        for old in self.root.glob("cache-*.faiss"):
            if old.name != f"cache-{token}.faiss":
                old.unlink(missing_ok=True)
        self._changed = False

    # ----- the VectorStore interface

    def add(
        self, episode_id: int, vectors: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> None:
        vectors = check_batch(self.dim, vectors, starts, ends)
        name = write_segment(self.segments, episode_id, vectors, starts, ends)
        remove_segments(self.segments, episode_id, keep=name)
        self._sync(force=True)

    def delete(self, episode_id: int) -> None:
        remove_segments(self.segments, episode_id)
        self._sync(force=True)

    def search(
        self, queries: np.ndarray, k: int, episodes: Collection[int] | None = None
    ) -> list[list[Hit]]:
        self._sync()
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if queries.shape[1] != self.dim:
            raise ValueError(f"query vectors must be {self.dim}-d, not {queries.shape[1]}-d")
        mask = self._alive
        if episodes is not None:
            mask = mask & np.isin(self._ep, np.fromiter(episodes, np.int64))
        allowed = int(mask.sum())
        if allowed == 0 or self.index.ntotal == 0:
            return [[] for _ in queries]
        k = min(k, allowed)
        if episodes is not None and allowed <= BRUTE_FORCE_ROWS:
            rows = np.flatnonzero(mask)
            sims = queries @ self.index.reconstruct_batch(rows).T
            top = np.argsort(-sims, axis=1)[:, :k]
            return [self._hits(rows[top[i]], sims[i, top[i]]) for i in range(len(queries))]
        params = faiss.SearchParametersHNSW() if self._is_hnsw else faiss.SearchParameters()
        if self._is_hnsw:
            params.efSearch = max(self.params.ef_search, k)
        bitmap = None
        if allowed < len(mask):
            bitmap = np.packbits(mask, bitorder="little")
            params.sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
        sims, labels = self.index.search(queries, k, params=params)
        del bitmap
        return [self._hits(labels[i], sims[i]) for i in range(len(queries))]

    def _hits(self, rows: np.ndarray, sims: np.ndarray) -> list[Hit]:
        return [
            Hit(int(self._ep[r]), float(self._start[r]), float(self._end[r]), float(s))
            for r, s in zip(rows, sims, strict=True)
            if r >= 0
        ]

    def episode_ids(self) -> set[int]:
        return set(list_segments(self.segments).values())

    def count(self) -> int:
        self._sync()
        return int(self._alive.sum()) + sum(len(c[0]) for c in self._chunks)

    def size_bytes(self) -> int:
        total = 0
        for path in self.root.rglob("*"):
            with contextlib.suppress(OSError):
                total += path.stat().st_size if path.is_file() else 0
        return total

    def close(self) -> None:
        try:
            self.flush()
        except OSError as exc:
            log.warning("could not save the index cache: %s", exc)


def _rows(path: Path) -> int:
    return int(np.load(path, mmap_mode="r").shape[0])
