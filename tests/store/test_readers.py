"""A writer and readers of one embedded store, as `sabi index` and `sabi serve` are."""

from __future__ import annotations

import numpy as np
import pytest
from library_data import edit, show_episodes

from sabi.store.faiss_store import FaissParams, FaissStore

DIM = 128
PARAMS = FaissParams(exact_below=2_000, rerank=400, pq_bytes=16)


def _episodes(n: int, show: int = 0, frames: int = 300) -> list[np.ndarray]:
    return list(show_episodes(show, n, frames, DIM))


def _add(store: FaissStore, episode_id: int, vectors: np.ndarray) -> None:
    starts = np.arange(len(vectors), dtype=np.float32)
    store.add(episode_id, vectors, starts, starts + 1)


def _built(root, episodes: int) -> dict[int, np.ndarray]:
    """A closed store of ``episodes`` episodes of show 0 at ``root``; returns their vectors."""
    writer = FaissStore(root, DIM, PARAMS)
    eps = dict(enumerate(_episodes(episodes), start=1))
    for ep, v in eps.items():
        _add(writer, ep, v)
    writer.close()
    return eps


def _files(root) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_a_reader_writes_nothing_and_leaves_a_writers_temporary_files(tmp_path):
    root = tmp_path / "faiss"
    writer = FaissStore(root, DIM, PARAMS)
    for ep, v in enumerate(_episodes(10), start=1):
        _add(writer, ep, v)
    writer.flush()
    live = root / "segments" / ".ep11-0badf00d.npy.tmp"  # the writer is in the middle of one
    live.write_bytes(b"half a segment")
    before = _files(root)
    reader = FaissStore(root, DIM, PARAMS)
    assert reader.count() == 3000
    reader.search(_episodes(1, show=1)[0][:5], k=10)
    reader.close()
    assert _files(root) == before


def test_a_reader_of_a_missing_store_creates_nothing(tmp_path):
    reader = FaissStore(tmp_path / "faiss", DIM, PARAMS)
    assert reader.count() == 0
    assert reader.search(np.ones((1, DIM), np.float32), k=5) == [[]]
    reader.close()
    assert not (tmp_path / "faiss").exists()


def test_readers_follow_adds_removals_and_retraining(tmp_path):
    root = tmp_path / "faiss"
    writer = FaissStore(root, DIM, PARAMS)
    eps = {ep: v for ep, v in enumerate(_episodes(4), start=1)}  # 1,200 frames: exact
    for ep, v in eps.items():
        _add(writer, ep, v)
    writer.flush()
    reader = FaissStore(root, DIM, PARAMS, background_reload=False)
    background = FaissStore(root, DIM, PARAMS)
    assert reader.count() == background.count() == 1200
    generation = writer._manifest.generation
    # The writer crosses exact_below (trains a PQ) and doubles (retrains) while readers search.
    rng = np.random.default_rng(1)
    for ep, v in enumerate(_episodes(12, show=1), start=5):
        eps[ep] = v
        _add(writer, ep, v)
        for store in (reader, background):
            pick = rng.choice(list(eps))
            frame = int(rng.integers(len(eps[pick])))
            (hit, *_) = store.search(eps[pick][frame], k=5)[0]
            assert (hit.episode_id, hit.start) == (pick, frame)
    assert writer._manifest.generation != generation  # it retrained at least once
    writer.delete(2)
    _add(writer, 3, eps[5][:100])  # episode 3 now holds a copy of episode 5's first frames
    writer.flush()
    background.wait_reload()
    for store in (reader, background):
        assert store.count() == 16 * 300 - 300 - 200
        assert store.episode_ids() == set(eps) - {2}
        assert store._mem.pq is not None
        assert store._manifest.generation == writer._manifest.generation or store is reader
        queries = edit(eps[7][::25], rng, strength=0.4)
        for i, hits in enumerate(store.search(queries, k=10)):
            assert hits[0].episode_id == 7 and abs(hits[0].start - 25 * i) <= 3
        assert {h.episode_id for h in store.search(eps[5][50], k=2)[0]} == {3, 5}
        assert all(h.episode_id != 2 for h in store.search(eps[2][::30], k=3)[0])


def test_reopening_after_removals_and_re_adds_matches_a_fresh_build(tmp_path):
    """Cached PQ rows are matched to segments by name: removed ones are dropped, re-added ones
    are encoded again, and the answers equal those of a store built from the segments."""
    root = tmp_path / "faiss"
    eps = _built(root, 12)
    writer = FaissStore(root, DIM, PARAMS)
    writer.delete(4)
    _add(writer, 6, eps[9][::-1])
    del eps[4]
    # no flush: the next open finds a cache that lists a removed segment and misses a new one
    reopened = FaissStore(root, DIM, PARAMS)
    (root / "cache.json").unlink()
    fresh = FaissStore(root, DIM, PARAMS)
    queries = edit(np.concatenate([v[::40] for v in eps.values()]), np.random.default_rng(2), 0.4)
    a = reopened.search(queries, k=20)
    b = fresh.search(queries, k=20)
    assert reopened.count() == fresh.count() == 11 * 300
    for x, y in zip(a, b, strict=True):  # the same frames (episode 6 ties with 9: compare scores)
        assert [h.score for h in x[:5]] == pytest.approx([h.score for h in y[:5]], abs=1e-6)
        assert (x[0].episode_id, x[0].start) in {(h.episode_id, h.start) for h in y[:2]}


def test_a_writer_is_a_reader_again_after_its_run(tmp_path):
    """A server that indexed in-process (admin route) must not publish caches while a later
    `sabi index` in another process holds the write lock."""
    root = tmp_path / "faiss"
    server = FaissStore(root, DIM, PARAMS)
    for ep, v in enumerate(_episodes(8), start=1):  # 2,400 frames: a PQ is trained
        _add(server, ep, v)
    server.flush()
    indexer = FaissStore(root, DIM, PARAMS)
    for ep, v in enumerate(_episodes(10, show=1), start=20):  # past twice: it retrains
        _add(indexer, ep, v)
        before = _files(root)
        server.search(v[:2], k=5)
        assert _files(root) == before
    indexer.flush()
    server.wait_reload()
    assert server.count() == 18 * 300


def test_changing_pq_bytes_trains_a_new_pq(tmp_path):
    root = tmp_path / "faiss"
    eps = _built(root, 8)
    assert FaissStore(root, DIM, PARAMS)._mem.pq.code_size == 16
    other = FaissStore(root, DIM, FaissParams(exact_below=2_000, rerank=400, pq_bytes=32))
    assert other._mem.pq.code_size == 32
    (hit, *_) = other.search(eps[3][100], k=3)[0]
    assert hit.episode_id == 3 and abs(hit.start - 100) <= 1
