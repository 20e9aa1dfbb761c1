"""Near-identical neighbours collapse into one frame with a time span; black frames go."""

from __future__ import annotations

import numpy as np
import pytest

from sabi.prepare.decode import SampledFrame
from sabi.prepare.dedupe import dhash, hamming, is_black
from sabi.prepare.distinct import DistinctStats, keep_distinct

pytestmark = pytest.mark.fast


def _scene(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.kron(rng.integers(30, 255, (9, 16, 3)), np.ones((20, 20, 1))).astype(np.uint8)


def test_dhash_is_stable_under_small_noise_and_differs_between_scenes():
    a = _scene(1)
    noisy = np.clip(a.astype(int) + np.random.default_rng(0).integers(-3, 4, a.shape), 0, 255)
    assert hamming(dhash(a), dhash(noisy.astype(np.uint8))) <= 4
    assert hamming(dhash(a), dhash(_scene(2))) > 16


def test_runs_collapse_with_their_span():
    frames = [SampledFrame(t * 0.5, _scene(1)) for t in range(4)]
    frames += [SampledFrame(2.0 + t * 0.5, _scene(2)) for t in range(3)]
    stats = DistinctStats()
    kept = list(keep_distinct(frames, distance=4, max_span=10, black_level=24, stats=stats))
    assert [(k.start, k.end) for k in kept] == [(0.0, 1.5), (2.0, 3.0)]
    assert stats.sampled == 7 and stats.kept == 2


def test_max_span_forces_a_new_frame():
    frames = [SampledFrame(t * 0.5, _scene(1)) for t in range(10)]
    kept = list(keep_distinct(frames, distance=4, max_span=2.0, black_level=24))
    assert [k.start for k in kept] == [0.0, 2.0, 4.0]


def test_black_frames_are_dropped_and_end_a_run():
    black = np.zeros((180, 320, 3), np.uint8)
    assert is_black(black)
    frames = [SampledFrame(0.0, _scene(1)), SampledFrame(0.5, black), SampledFrame(1.0, _scene(1))]
    stats = DistinctStats()
    kept = list(keep_distinct(frames, distance=4, max_span=10, black_level=24, stats=stats))
    assert [(k.start, k.end) for k in kept] == [(0.0, 0.0), (1.0, 1.0)]
    assert stats.black == 1


def test_distance_zero_keeps_everything():
    frames = [SampledFrame(t * 0.5, _scene(1)) for t in range(4)]
    assert len(list(keep_distinct(frames, distance=0, max_span=10, black_level=24))) == 4
