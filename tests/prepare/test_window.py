"""The full-rate window decoder makes frames exactly as indexing does."""

from __future__ import annotations

import numpy as np
import pytest

from sabi.errors import VideoError
from sabi.prepare.decode import probe_crop, sample_frames
from sabi.prepare.window import window_frames


def test_window_frames_are_the_indexed_frames_and_every_one_between(shared_media):
    path = shared_media / "big_buck_bunny_0_30.webm"
    crop = probe_crop(path, 320, 24)
    sampled = {round(f.time, 3): f.rgb for f in sample_frames(path, 2.0, 320, crop) if f.time > 11}
    window = window_frames(path, 12.0, 13.0, 320, crop)
    times = [f.time for f in window]
    assert times[0] >= 12.0 - 1e-3 and times[-1] <= 13.0 + 1e-3
    # 24 fps: every frame from 12 s to 13 s, both ends included
    assert len(window) == 25 and np.allclose(np.diff(times), 1 / 24, atol=2e-3)
    for f in window:
        if round(f.time, 3) in sampled:  # a sampling instant: pixel for pixel the indexed frame
            assert np.array_equal(f.rgb, sampled.pop(round(f.time, 3)))
    assert not {t for t in sampled if 12.0 <= t < 13.0}  # every indexed frame was met


def test_unreadable_file_is_a_video_error(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(VideoError):
        window_frames(bad, 0.0, 1.0, 320)
