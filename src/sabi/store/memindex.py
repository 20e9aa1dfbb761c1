"""The in-memory search structure of the embedded store, built from segments and a cached PQ.

Two FAISS indexes over the same rows, in the same order:

- ``exact``: every frame's int8 codes (the segments' bytes, a quarter of float32). Searched
  exhaustively for small libraries and filtered searches, and used to re-rank candidates.
- ``pq``: a 4-bit product quantiser, ``code_bytes`` a frame, scanned through a SIMD "fast
  scan" copy of it. Above ``exact_below`` frames it proposes ``rerank`` candidates, which the
  int8 codes order exactly. Scanning everything, unlike a graph or an inverted file, does not depend on the
  order the library arrived in nor on how far an edited screenshot lies from its frame
  (bench/results/store.md compares them).

Row numbers are FAISS labels. Removing a segment removes its rows from both indexes, which
shifts later rows down, so the bookkeeping arrays are shifted with them. The fast-scan copy is
rebuilt from the plain PQ after any change (0.1 s at a million frames) rather than changed in
place: FAISS 1.15's fast-scan index stores codes in the wrong place when rows are added after a
``remove_ids`` (test_contract.py's re-add test on the faiss-pq backend keeps that in view).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

import faiss
import numpy as np

from sabi.store.base import Hit
from sabi.store.codec import decode, faiss_codes, faiss_range

EXACT_FILTER_SHARE = 0.2  # filtered searches over less of the library than this are exact


@dataclass(frozen=True)
class SearchParams:
    exact_below: int = 50_000
    rerank: int = 4000
    shards: int = 2


class Rows:
    """Per-row episode id and time span, growable without quadratic copying."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._ep = np.zeros(0, np.int64)
        self._start = np.zeros(0, np.float32)
        self._end = np.zeros(0, np.float32)

    def append(self, episode_id: int, starts: np.ndarray, ends: np.ndarray) -> None:
        n = len(starts)
        self._parts.append(
            (
                np.full(n, episode_id, np.int64),
                np.asarray(starts, np.float32).copy(),
                np.asarray(ends, np.float32).copy(),
            )
        )

    def _settle(self) -> None:
        if self._parts:
            eps, starts, ends = zip(*self._parts, strict=True)
            self._ep = np.concatenate([self._ep, *eps])
            self._start = np.concatenate([self._start, *starts])
            self._end = np.concatenate([self._end, *ends])
            self._parts = []

    def remove(self, first: int, count: int) -> None:
        self._settle()
        keep = np.r_[0:first, first + count : len(self._ep)]
        self._ep, self._start, self._end = self._ep[keep], self._start[keep], self._end[keep]

    def hits(self, rows: np.ndarray, sims: np.ndarray) -> list[Hit]:
        """Hits for FAISS labels; scores are capped at 1 (rounded codes can overshoot it)."""
        self._settle()
        return [
            Hit(int(self._ep[r]), float(self._start[r]), float(self._end[r]), min(float(s), 1.0))
            for r, s in zip(rows, sims, strict=True)
            if r >= 0
        ]

    def spans(self, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(starts, ends) of rows ``first`` to ``first + count``."""
        self._settle()
        return self._start[first : first + count], self._end[first : first + count]

    def __len__(self) -> int:
        return len(self._ep) + sum(len(p[0]) for p in self._parts)


def new_pq(dim: int, code_bytes: int) -> faiss.IndexPQ | None:
    """An untrained 4-bit PQ with ``code_bytes`` bytes a frame, or None where PQ does not pay
    (tiny descriptors are scanned exactly at any size)."""
    m = 2 * code_bytes
    if dim < 32 or dim % m:
        m = next((k for k in range(min(m, dim // 2), 1, -1) if dim % k == 0 and k % 2 == 0), 0)
    if m < 8:
        return None
    pq = faiss.IndexPQ(dim, m, 4, faiss.METRIC_INNER_PRODUCT)
    pq.pq.cp.min_points_per_centroid = 1  # small test libraries: no warning on stderr
    return pq


def fast_scan(pq: faiss.IndexPQ, shards: int) -> faiss.Index:
    """Fast-scan copies of consecutive row ranges of ``pq``, labelled as rows of the whole."""
    n = pq.ntotal
    # faiss's stubs lack two SWIG constructors used here: IndexPQFastScan(const IndexPQ&) and
    # IndexShards(d, threaded, successive_ids).
    if shards <= 1 or n < 100_000:
        return faiss.IndexPQFastScan(pq)  # type: ignore[arg-type]
    codes = faiss.rev_swig_ptr(pq.codes.data(), n * pq.code_size).reshape(n, pq.code_size)
    threaded, successive_ids = True, True
    whole = faiss.IndexShards(pq.d, threaded, successive_ids)  # type: ignore[call-arg]
    bounds = np.linspace(0, n, shards + 1).astype(int)
    parts: list[faiss.Index] = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        part = faiss.IndexPQ(pq.d, pq.pq.M, pq.pq.nbits, pq.metric_type)
        part.pq = pq.pq
        part.is_trained = True
        part.add_sa_codes(np.ascontiguousarray(codes[lo:hi]))
        parts.append(faiss.IndexPQFastScan(part))  # type: ignore[arg-type]
    for shard in parts:
        whole.add_shard(shard)
    return whole


class MemoryIndex:
    """Segments' frames held for search; see the module docstring."""

    def __init__(self, dim: int, scale: float, params: SearchParams):
        self.dim = dim
        self.scale = scale
        self.params = params
        self.exact = faiss.IndexScalarQuantizer(
            dim, faiss.ScalarQuantizer.QT_8bit_uniform, faiss.METRIC_INNER_PRODUCT
        )
        faiss.copy_array_to_vector(faiss_range(scale), self.exact.sq.trained)
        self.exact.is_trained = True
        self.pq: faiss.IndexPQ | None = None  # trained PQ holding the same rows, when present
        self._fast: faiss.Index | None = None  # scan copy of ``pq``; None: stale
        self.segments: dict[str, tuple[int, int]] = {}  # name -> (first row, rows)
        self.rows = Rows()

    # ----- building

    def append(
        self,
        name: str,
        episode_id: int,
        codes: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
    ) -> None:
        """Add one segment's rows (and to the PQ, when there is one)."""
        first = self.exact.ntotal
        self.exact.add_sa_codes(faiss_codes(codes))
        if self.pq is not None:
            self.pq.add(decode(codes, self.scale))
            self._fast = None
        self.segments[name] = (first, len(codes))
        self.rows.append(episode_id, starts, ends)

    def load(
        self,
        total: int,
        segments: Iterable[tuple[str, int, np.ndarray, np.ndarray, np.ndarray]],
    ) -> None:
        """Add ``total`` rows of many segments at once into an empty index: one allocation,
        each segment's codes copied straight into place (opening a million-frame store is
        mostly this copy). ``segments`` may be lazy: a memory-mapped segment is dropped as soon
        as it is copied, so its pages do not stay in this process's memory."""
        assert self.exact.ntotal == 0 and self.pq is None
        if total == 0:
            return
        self.exact.codes.resize(total * self.dim)
        buf = faiss.rev_swig_ptr(self.exact.codes.data(), total * self.dim)
        buf = buf.reshape(total, self.dim)
        at = 0
        for name, episode_id, codes, starts, ends in segments:
            n = len(codes)
            np.bitwise_xor(np.asarray(codes).view(np.uint8), np.uint8(0x80), out=buf[at : at + n])
            self.segments[name] = (at, n)
            self.rows.append(episode_id, starts, ends)
            at += n
        if at != total:
            raise ValueError(f"segments held {at} rows, not {total}")
        self.exact.ntotal = total

    def remove(self, name: str) -> None:
        first, count = self.segments.pop(name)
        selector = faiss.IDSelectorRange(first, first + count)
        self.exact.remove_ids(selector)
        if self.pq is not None:
            self.pq.remove_ids(selector)
            self._fast = None
        self.rows.remove(first, count)
        self.segments = {
            n: (f - count if f > first else f, c) for n, (f, c) in self.segments.items()
        }

    def set_pq(self, pq: faiss.IndexPQ | None) -> None:
        """Install a PQ that holds exactly this index's rows (or None)."""
        if pq is not None and pq.ntotal != self.exact.ntotal:
            raise ValueError(f"PQ holds {pq.ntotal} rows, the index {self.exact.ntotal}")
        self.pq = pq
        self._fast = None

    def fast(self) -> faiss.Index:
        """The fast-scan copy of the PQ, split in ``shards`` scanned in parallel threads (one
        query is otherwise scanned by one core)."""
        assert self.pq is not None
        if self._fast is None:
            self._fast = fast_scan(self.pq, self.params.shards)
        return self._fast

    def train_pq(
        self, code_bytes: int, sample: int = 65_536, seed: int = 0
    ) -> faiss.IndexPQ | None:
        """A PQ trained on a random sample of the rows, holding every row."""
        pq = new_pq(self.dim, code_bytes)
        if pq is None or self.exact.ntotal == 0:
            return None
        n = self.exact.ntotal
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.choice(n, min(n, sample), replace=False))
        pq.train(self.vectors(pick))
        step = 65_536
        for i in range(0, n, step):
            pq.add(self.vectors(np.arange(i, min(n, i + step))))
        return pq

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """float32 vectors of ``rows``, decoded from the int8 codes FAISS holds (no full copy)."""
        if self.exact.ntotal == 0:
            return np.zeros((0, self.dim), np.float32)
        return decode((self._raw()[rows] ^ np.uint8(0x80)).view(np.int8), self.scale)

    def frames(self, name: str, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Segment ``name``'s rows that start within [lo, hi], in time order, decoded."""
        first, count = self.segments[name]
        starts, ends = self.rows.spans(first, count)
        picked = np.flatnonzero((starts >= lo) & (starts <= hi))
        picked = picked[np.argsort(starts[picked], kind="stable")]
        return self.vectors(first + picked), starts[picked], ends[picked]

    def similarities(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Exact similarity of ``query`` to ``rows``, straight from the stored bytes: a code
        byte b stands for (b - 128) / scale, so x.q = (b.q - 128 sum(q)) / scale."""
        dots = np.take(self._raw(), rows, axis=0).astype(np.float32) @ query
        sims: np.ndarray = (dots - np.float32(128.0) * query.sum(dtype=np.float32)) / np.float32(
            self.scale
        )
        return sims

    def _raw(self) -> np.ndarray:
        """The stored code bytes (value + 128) as a (rows, dim) view, no copy; valid until the
        next add or remove."""
        n = self.exact.ntotal
        return faiss.rev_swig_ptr(self.exact.codes.data(), n * self.dim).reshape(n, self.dim)

    @property
    def ntotal(self) -> int:
        return self.exact.ntotal

    # ----- searching

    def search(
        self, queries: np.ndarray, k: int, allowed: Collection[str] | None = None
    ) -> list[list[Hit]]:
        """``allowed``: segment names to search (None: all)."""
        n = self.exact.ntotal
        if allowed is None:
            rows = n
            ranges = None
        else:
            ranges = [self.segments[s] for s in allowed if s in self.segments]
            rows = sum(c for _, c in ranges)
        if rows == 0:
            return [[] for _ in queries]
        k = min(k, rows)
        use_pq = self.pq is not None and n >= self.params.exact_below
        if use_pq and (ranges is None or rows >= EXACT_FILTER_SHARE * n):
            found = self._search_pq(queries, k, ranges, rows)
            if found is not None:
                return found
        return self._search_exact(queries, k, ranges)

    def _search_exact(
        self, queries: np.ndarray, k: int, ranges: list[tuple[int, int]] | None
    ) -> list[list[Hit]]:
        params = None
        bitmap = None
        if ranges is not None and sum(c for _, c in ranges) < self.exact.ntotal:
            mask = np.zeros(self.exact.ntotal, bool)
            for first, count in ranges:
                mask[first : first + count] = True
            bitmap = np.packbits(mask, bitorder="little")
            params = faiss.SearchParameters()
            params.sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bitmap))
        sims, labels = self.exact.search(queries, k, params=params)
        del bitmap
        return [self.rows.hits(labels[i], sims[i]) for i in range(len(queries))]

    def _search_pq(
        self, queries: np.ndarray, k: int, ranges: list[tuple[int, int]] | None, rows: int
    ) -> list[list[Hit]] | None:
        """Candidates from the PQ, ordered by the int8 codes. None: a filter left too few."""
        assert self.pq is not None
        n = self.exact.ntotal
        want = max(self.params.rerank, k)
        if ranges is not None:  # over-fetch in proportion to what the filter drops
            want = int(want * n / rows)
        _, cand = self.fast().search(queries, min(want, n))
        out = []
        for i, q in enumerate(queries):
            c = cand[i][cand[i] >= 0]
            if ranges is not None:
                keep = np.zeros(len(c), bool)
                for first, count in ranges:
                    keep |= (c >= first) & (c < first + count)
                c = c[keep]
                if len(c) < k:
                    return None
            sims = self.similarities(c, q)
            top = np.argsort(-sims)[:k]
            out.append(self.rows.hits(c[top], sims[top]))
        return out
