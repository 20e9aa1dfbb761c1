"""Segment files: int8 records, atomic writes, and the earlier layouts still readable."""

from __future__ import annotations

import numpy as np
import pytest

from sabi.store.codec import decode, default_scale, encode
from sabi.store.faiss_store import FaissStore
from sabi.store.segments import list_segments, read_segment, write_segment

pytestmark = pytest.mark.fast


def _unit(n: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_round_trip_in_int8(tmp_path):
    v = _unit(5, 512, 0)
    scale = default_scale(512)
    name = write_segment(
        tmp_path, 7, encode(v, scale), np.arange(5, dtype=np.float32) * 1000.25, np.ones(5)
    )
    assert list_segments(tmp_path) == {name: 7}
    codes, starts, ends = read_segment(tmp_path, name)
    assert codes.dtype == np.int8
    back = decode(np.asarray(codes), scale)
    assert np.mean(np.abs(back - v) <= 0.5 / scale + 1e-7) > 0.999  # 5 sigma: rare clips
    assert np.abs(np.sum(back * v, axis=1) - 1).max() < 2e-3
    assert starts[-1] == 4001.0  # times stay float32: exact to the millisecond at hours
    assert (tmp_path / name).stat().st_size < 5 * (8 + 512) + 256
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_first_layout_segments_still_load(tmp_path):
    """Data directories written before the half-precision layout keep working."""
    seg = tmp_path / "faiss" / "segments"
    seg.mkdir(parents=True)
    v = _unit(4, 32, 1)
    old = np.empty((4, 34), np.float32)
    old[:, 0], old[:, 1], old[:, 2:] = [0, 1, 2, 3], [0.5, 1.5, 2.5, 3.5], v
    np.save(seg / "ep3-0000abcd.npy", old)
    store = FaissStore(tmp_path / "faiss", 32)
    (hit, *_) = store.search(v[2:3], k=2)[0]
    assert (hit.episode_id, hit.start, hit.end) == (3, 2.0, 2.5)
    assert store.count() == 4


def test_half_precision_segments_still_load(tmp_path):
    """The layout of the HNSW-era store (float16 records)."""
    seg = tmp_path / "faiss" / "segments"
    seg.mkdir(parents=True)
    v = _unit(6, 32, 2)
    old = np.empty(6, [("start", "<f4"), ("end", "<f4"), ("vec", "<f2", (32,))])
    old["start"], old["end"], old["vec"] = np.arange(6), np.arange(6) + 0.5, v
    np.save(seg / "ep9-0000abcd.npy", old)
    store = FaissStore(tmp_path / "faiss", 32)
    (hit, *_) = store.search(v[4:5], k=2)[0]
    assert (hit.episode_id, hit.start, hit.end) == (9, 4.0, 4.5)
