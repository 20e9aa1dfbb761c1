"""Shot changes: found at index time, and the clip window they bound."""

from __future__ import annotations

import numpy as np

from sabi.prepare.decode import sample_frames
from sabi.prepare.shots import ShotDetector, detect_cuts
from sabi.serve.previews import clip_window


def test_cuts_in_big_buck_bunny(shared_media):
    cuts: list[float] = []
    for _ in detect_cuts(sample_frames(shared_media / "big_buck_bunny_0_30.webm", 2.0, 160), cuts):
        pass
    # the three hard cuts of the first 30 s (after the title fades)
    for t in (12.0, 16.0, 23.0):
        assert any(abs(c - t) <= 0.5 for c in cuts), (t, cuts)
    # no cut inside the long opening shot or the 16-23 s shot
    assert not [c for c in cuts if 3.0 <= c <= 11.5 or 16.6 <= c <= 22.5], cuts


def test_still_and_slow_change_are_not_cuts():
    d = ShotDetector()
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (90, 160, 3), dtype=np.uint8)
    assert not any(
        d.feed(np.clip(base.astype(int) + i, 0, 255).astype(np.uint8)) for i in range(20)
    )
    assert d.feed(255 - base)  # a different picture is


def test_window_is_bounded_by_cuts_and_seconds():
    cuts = [12.0, 16.0, 23.0]
    w = clip_window(14.0, cuts, half=5.0, step=0.5, end=30.0)
    assert (w.start, w.end) == (11.5, 16.0)
    w = clip_window(19.0, cuts, half=2.0, step=0.5, end=30.0)
    assert (w.start, w.end) == (17.0, 21.0)
    w = clip_window(29.0, cuts, half=5.0, step=0.5, end=29.5)
    assert (w.start, w.end) == (24.0, 29.5)
    w = clip_window(1.0, [], half=5.0, step=0.5, end=0.0)
    assert (w.start, w.end) == (0.0, 6.0)
