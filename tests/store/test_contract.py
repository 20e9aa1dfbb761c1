"""The VectorStore contract, checked against every backend the same way.

Backends: FAISS (exact, and with a tiny ``exact_below`` so it switches to PQ + re-ranking), Milvus Lite on a
local folder, and a real Milvus standalone server (see conftest.py). The data imitates frames: an
episode is a random walk on the unit sphere, so neighbouring frames are near-duplicates.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from sabi.store.base import Hit, VectorStore
from sabi.store.faiss_store import FaissParams, FaissStore
from sabi.store.milvus_store import MilvusStore

DIM = 32
STEP = 0.5  # seconds between frames
# The FAISS store keeps int8 codes: a stored frame scores within a hundredth of 1 against
# itself (at 32 dimensions; at SSCD's 512 the rounding is finer).
SCORE_TOL = 1e-2

Opener = Callable[..., VectorStore]


# ----- data


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def episode(seed: int, frames: int = 120, dim: int = DIM, step: float = 0.25) -> np.ndarray:
    """A random walk: each frame is the previous one plus a little noise, renormalised."""
    rng = np.random.default_rng(seed)
    x = unit(rng.standard_normal(dim))
    out = np.empty((frames, dim), np.float32)
    for i in range(frames):
        x = unit(x + step / np.sqrt(dim) * rng.standard_normal(dim))
        out[i] = x
    return out


def times(n: int, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    starts = offset + STEP * np.arange(n)
    return starts, starts + STEP


def add_episode(store: VectorStore, episode_id: int, vectors: np.ndarray, offset: float = 0.0):
    starts, ends = times(len(vectors), offset)
    store.add(episode_id, vectors, starts, ends)


def assert_ranked(hits: list[Hit]) -> None:
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    keys = [(h.episode_id, h.start) for h in hits]
    assert len(keys) == len(set(keys)), "a frame came back twice"


# ----- backends


BACKENDS = [
    "faiss",
    "faiss-pq",
    "milvus-lite",
    pytest.param("milvus-server", marks=pytest.mark.milvus_server),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def open_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens (and reopens) one store location of the backend under test; closes all at the end."""
    opened: list[VectorStore] = []
    collection = f"t_{uuid.uuid4().hex[:12]}"
    uri = request.getfixturevalue("milvus_server_uri") if backend == "milvus-server" else ""

    def open_(dim: int = DIM) -> VectorStore:
        store: VectorStore
        if backend == "faiss":
            store = FaissStore(tmp_path / "faiss", dim)
        elif backend == "faiss-pq":
            params = FaissParams(exact_below=64, rerank=100, pq_bytes=16)
            store = FaissStore(tmp_path / "faiss", dim, params)
        elif backend == "milvus-lite":
            store = MilvusStore(str(tmp_path / "milvus.db"), dim, collection="frames")
        else:
            store = MilvusStore(uri, dim, collection=collection, ef_search=64)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Opener) -> VectorStore:
    return open_store()


@pytest.fixture
def library(store: VectorStore) -> dict[int, np.ndarray]:
    """Six episodes of 120 frames each in ``store``; returns the vectors by episode id."""
    eps = {ep: episode(seed=ep) for ep in (3, 5, 8, 13, 21, 34)}
    for ep, vectors in eps.items():
        add_episode(store, ep, vectors, offset=ep)
    return eps


# ----- the contract


def test_exact_frames_come_back_first_with_their_times(store, library):
    assert store.count() == 6 * 120
    assert store.episode_ids() == set(library)
    picks = [(3, 0), (5, 119), (8, 60), (13, 1), (21, 77), (34, 42), (8, 61), (3, 2)]
    queries = np.stack([library[ep][i] for ep, i in picks])
    results = store.search(queries, k=10)
    assert len(results) == len(picks)
    for (ep, i), hits in zip(picks, results, strict=True):
        assert len(hits) == 10
        assert_ranked(hits)
        best = hits[0]
        assert best.episode_id == ep
        assert best.start == pytest.approx(ep + STEP * i, abs=1e-4)
        assert best.end == pytest.approx(ep + STEP * (i + 1), abs=1e-4)
        assert best.score == pytest.approx(1.0, abs=SCORE_TOL)
        assert hits[1].score < 1 - 1e-4
        # A random walk's neighbours in time are its neighbours in space.
        assert hits[1].episode_id == ep and abs(hits[1].start - best.start) <= 3 * STEP


def test_noisy_query_lands_on_the_right_moment(store, library):
    rng = np.random.default_rng(7)
    truth = [(5, 30), (21, 100), (34, 5)]
    clean = np.stack([library[ep][i] for ep, i in truth])
    noisy = unit(clean + 0.05 / np.sqrt(DIM) * rng.standard_normal(clean.shape))
    for (ep, i), hits in zip(truth, store.search(noisy, k=5), strict=True):
        assert hits[0].episode_id == ep
        assert abs(hits[0].start - (ep + STEP * i)) <= STEP + 1e-4
        assert 0.95 < hits[0].score < 1.0 + 1e-4


def test_times_survive_exactly(store):
    vectors = episode(seed=99, frames=4)
    starts = np.array([0.0, 1.25, 1437.5, 86399.5])
    ends = np.array([0.5, 2.0, 1438.125, 86400.0])
    store.add(1, vectors, starts, ends)
    for i, hits in enumerate(store.search(vectors, k=1)):
        assert (hits[0].start, hits[0].end) == (starts[i], ends[i])


def test_around_gives_the_frames_near_a_time(store, library):
    """What placing a moment reads: the frames that start in the range, in time order, and
    nothing of other episodes or outside it."""
    vectors, starts, ends = store.around(8, 8 + 10 * STEP, 8 + 13 * STEP)
    np.testing.assert_allclose(starts, 8 + STEP * np.arange(10, 14), atol=1e-4)
    np.testing.assert_allclose(ends, starts + STEP, atol=1e-4)
    assert np.abs(vectors - library[8][10:14]).max() < 4e-3
    assert len(store.around(8, 10_000.0, 10_001.0)[0]) == 0
    empty = store.around(12345, 0.0, 1e6)
    assert empty[0].shape == (0, DIM) and len(empty[1]) == len(empty[2]) == 0


def test_vectors_give_an_episode_back_in_time_order(store, library):
    """What an export reads: the stored frames (decoded where the store quantises), their
    times, in order; adding them to another store gives the same answers."""
    vectors, starts, ends = store.vectors(8)
    assert vectors.dtype == np.float32 and vectors.shape == (120, DIM)
    np.testing.assert_allclose(starts, 8 + STEP * np.arange(120), atol=1e-4)
    np.testing.assert_allclose(ends, starts + STEP, atol=1e-4)
    # int8 codes at 32 dimensions: each component within half a code step (1/288)
    assert np.abs(vectors - library[8]).max() < 4e-3
    empty = store.vectors(12345)
    assert empty[0].shape == (0, DIM) and len(empty[1]) == len(empty[2]) == 0
    store.delete(8)
    assert len(store.vectors(8)[0]) == 0

    # Moved to another id (what an import into another library does): the same answers.
    for ep in (3, 5):
        v, s, e = store.vectors(ep)
        store.delete(ep)
        store.add(100 + ep, v, s, e, show_id=ep)
    queries = np.stack([library[3][17], library[5][90]])
    for (ep, i), hits in zip(((3, 17), (5, 90)), store.search(queries, k=3), strict=True):
        assert (hits[0].episode_id, hits[0].start) == (100 + ep, pytest.approx(ep + STEP * i))
        assert hits[0].score == pytest.approx(1.0, abs=SCORE_TOL)


def test_delete_removes_an_episode(store, library):
    store.delete(8)
    store.delete(12345)  # unknown: not an error
    assert store.count() == 5 * 120
    assert store.episode_ids() == set(library) - {8}
    hits = store.search(library[8][:4], k=50)
    assert all(h.episode_id != 8 for per in hits for h in per)
    assert all(h.score < 0.999 for per in hits for h in per)
    assert store.search(library[8][:1], k=5, episodes=[8]) == [[]]


def test_adding_an_episode_again_replaces_it(store, library):
    old = library[13]
    new = episode(seed=1000, frames=40)
    add_episode(store, 13, new, offset=500)
    assert store.count() == 5 * 120 + 40
    assert store.episode_ids() == set(library)
    # The new frames are there once each, at their new times...
    for i, hits in enumerate(store.search(new, k=3)):
        assert (hits[0].episode_id, hits[0].score) == (13, pytest.approx(1.0, abs=SCORE_TOL))
        assert hits[0].start == pytest.approx(500 + STEP * i)
        assert hits[1].score < 1 - 1e-4
    # ...and the old ones are gone.
    for hits in store.search(old[::10], k=5, episodes=[13]):
        assert all(h.score < 0.999 and h.start >= 500 for h in hits)
    # Replacing with the same frames does not duplicate them either.
    add_episode(store, 13, new, offset=500)
    assert store.count() == 5 * 120 + 40


def test_episode_filter_keeps_recall(store):
    """The wanted episode's frame must win although hundreds of frames elsewhere are nearer:
    the case of an opening sequence shared by every episode of other shows."""
    rng = np.random.default_rng(11)
    scene = unit(rng.standard_normal(DIM))
    # 12 distractor episodes, each with 40 frames right next to the scene (cos ~0.99) hidden
    # among their own frames.
    for ep in range(100, 112):
        near = unit(scene + 0.12 / np.sqrt(DIM) * rng.standard_normal((40, DIM)))
        add_episode(store, ep, np.concatenate([episode(seed=ep, frames=60), near]))
    # The allowed episodes hold only more distant versions of the scene.
    wanted = unit(scene + 0.6 / np.sqrt(DIM) * rng.standard_normal(DIM))
    other = unit(scene + 0.9 / np.sqrt(DIM) * rng.standard_normal(DIM))
    first = episode(seed=1, frames=80)
    first[50] = wanted
    second = episode(seed=2, frames=80)
    second[10] = other
    add_episode(store, 1, first)
    add_episode(store, 2, second)
    store.flush()  # what the indexer does at the end of a run
    nearer = sum(h.score > float(wanted @ scene) for h in store.search(scene, k=600)[0])
    assert nearer >= 400, "the set-up should bury the wanted frame"

    for allowed in ([1], {1, 2}, (2, 1, 999)):
        (hits,) = store.search(scene[None], k=5, episodes=allowed)
        assert len(hits) == 5
        assert_ranked(hits)
        assert {h.episode_id for h in hits} <= {1, 2}
        assert (hits[0].episode_id, hits[0].start) == (1, 50 * STEP)
        assert hits[0].score == pytest.approx(float(wanted @ scene), abs=SCORE_TOL)
    (hits,) = store.search(scene[None], k=5, episodes=[2])
    assert (hits[0].episode_id, hits[0].start) == (2, 10 * STEP)
    assert store.search(scene[None], k=5, episodes=[]) == [[]]
    assert store.search(scene[None], k=5, episodes=[999]) == [[]]


def test_k_larger_than_the_store(store):
    vectors = episode(seed=5, frames=7)
    add_episode(store, 1, vectors)
    (hits,) = store.search(vectors[3:4], k=100)
    assert len(hits) == 7
    assert_ranked(hits)
    (hits,) = store.search(vectors[3:4], k=100, episodes=[1])
    assert len(hits) == 7


def test_empty_store(store):
    assert store.count() == 0
    assert store.episode_ids() == set()
    queries = episode(seed=1, frames=3)
    assert store.search(queries, k=10) == [[], [], []]
    assert store.search(queries, k=10, episodes=[1, 2]) == [[], [], []]
    store.delete(1)
    assert store.size_bytes() >= 0


def test_bad_shapes_are_refused(store):
    with pytest.raises(ValueError):
        store.add(1, np.zeros((3, DIM + 1), np.float32), *times(3))
    with pytest.raises(ValueError):
        store.add(1, episode(seed=1, frames=3), *times(2))
    assert store.count() == 0


def test_a_store_survives_close_and_reopen(open_store, backend):
    store = open_store()
    eps = {ep: episode(seed=ep, frames=50) for ep in (1, 2, 3)}
    for ep, vectors in eps.items():
        add_episode(store, ep, vectors)
    store.delete(2)
    before = store.search(eps[1][::7], k=5)
    store.close()

    again = open_store()
    assert again.count() == 100
    assert again.episode_ids() == {1, 3}
    after = again.search(eps[1][::7], k=5)
    for b, a in zip(before, after, strict=True):
        assert [(h.episode_id, h.start) for h in a][:3] == [(h.episode_id, h.start) for h in b][:3]
    if backend != "milvus-server":
        assert again.size_bytes() > 0
    add_episode(again, 4, episode(seed=4, frames=10))
    assert again.count() == 110


def test_reopening_with_another_dim_is_refused(open_store):
    store = open_store(DIM)
    add_episode(store, 1, episode(seed=1, frames=5))
    store.close()
    with pytest.raises(ValueError, match=rf"{DIM}-d"):
        open_store(DIM // 2)


def test_many_episodes_and_a_batch_of_queries(store):
    """Enough rows for the approximate indexes to be in play (FAISS switches to its PQ here)."""
    eps = {ep: episode(seed=ep, frames=150, step=0.35) for ep in range(40)}
    for ep, vectors in eps.items():
        add_episode(store, ep, vectors)
    store.flush()  # what the indexer does at the end of a run
    assert store.count() == 40 * 150
    rng = np.random.default_rng(3)
    picks = [(int(rng.integers(40)), int(rng.integers(150))) for _ in range(32)]
    queries = np.stack([eps[ep][i] for ep, i in picks])
    results = store.search(queries, k=20)
    found = sum(
        (hits[0].episode_id, hits[0].start) == (ep, STEP * i)
        for (ep, i), hits in zip(picks, results, strict=True)
    )
    assert found == len(picks)
    for hits in results:
        assert len(hits) == 20
        assert_ranked(hits)
    allowed = {0, 1, 2, 3}
    for hits in store.search(queries, k=20, episodes=allowed):
        assert hits and {h.episode_id for h in hits} <= allowed


# ----- crashes: ``add`` is durable when it returns


def test_milvus_lite_keeps_an_add_when_the_process_dies(tmp_path):
    """Lite runs inside the writing process, so an add must be flushed before it returns."""
    db = tmp_path / "milvus.db"
    child = f"""
import os, numpy as np
from sabi.store.milvus_store import MilvusStore
store = MilvusStore({str(db)!r}, {DIM}, collection="frames")
vectors = np.load({str(tmp_path / "v.npy")!r})
store.add(7, vectors, np.arange(len(vectors)) * {STEP}, np.arange(1, len(vectors) + 1) * {STEP})
os._exit(0)  # no close, no atexit: as if killed
"""
    vectors = episode(seed=7, frames=30)
    np.save(tmp_path / "v.npy", vectors)
    subprocess.run([sys.executable, "-c", child], check=True, timeout=120)
    store = MilvusStore(str(db), DIM, collection="frames")
    try:
        assert store.count() == 30
        (hits,) = store.search(vectors[12:13], k=1)
        assert (hits[0].episode_id, hits[0].start) == (7, 12 * STEP)
    finally:
        store.close()


def test_milvus_lite_loads_again_after_its_index_file_was_cut_short(tmp_path):
    """Lite writes a sealed segment's index file in the background: a process killed meanwhile
    leaves it empty, and the folder no longer loads ("No data left in file"). The rows are
    whole, so opening builds the index again."""
    db = tmp_path / "milvus.db"
    vectors = episode(seed=9, frames=30)
    store = MilvusStore(str(db), DIM, collection="frames")
    add_episode(store, 7, vectors)
    store.close()
    index_files = list(db.rglob("*.idx"))
    assert index_files, "Milvus Lite's folder layout changed: no index file to cut short"
    for path in index_files:
        path.write_bytes(b"")
    store = MilvusStore(str(db), DIM, collection="frames")
    try:
        assert store.count() == 30
        (hits,) = store.search(vectors[12:13], k=1)
        assert (hits[0].episode_id, hits[0].start) == (7, 12 * STEP)
    finally:
        store.close()


@pytest.mark.milvus_server
def test_milvus_server_keeps_an_add_when_it_is_killed(private_milvus_server):
    """A server holds inserted rows in its write-ahead log, so ``add`` does not flush there;
    check that a SIGKILL right after ``add`` loses nothing."""
    server = private_milvus_server
    store = MilvusStore(server.uri, DIM, collection="frames")
    vectors = {ep: episode(seed=ep, frames=60) for ep in (1, 2)}
    for ep, v in vectors.items():
        add_episode(store, ep, v)
    store.delete(1)
    store.close()
    server.kill()
    server.start()
    store = MilvusStore(server.uri, DIM, collection="frames")
    try:
        assert store.count() == 60
        assert store.episode_ids() == {2}
        (hits,) = store.search(vectors[2][40:41], k=1)
        assert (hits[0].episode_id, hits[0].start) == (2, 40 * STEP)
    finally:
        store.close()
