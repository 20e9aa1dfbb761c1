"""A portrait still padded back to a frame's shape (sabi.prepare.strips): a 9:16 strip cut
from a 16:9 video looks more like its frame to the descriptor padded than as it is."""

from __future__ import annotations

import numpy as np
import pytest
from media import frame_at

from sabi.describe import make_embedder
from sabi.prepare.query import QueryFrame, prepare_query_frames
from sabi.prepare.strips import SHAPE, padded_strip
from sabi.settings import Settings

pytestmark = pytest.mark.fast


def test_only_a_narrow_picture_is_padded_and_its_own_pixels_stay_in_the_middle():
    rng = np.random.default_rng(0)
    strip = rng.integers(0, 256, (320, 180, 3), np.uint8)
    padded = padded_strip(strip, 1000)
    assert padded is not None
    assert padded.shape == (320, round(320 * SHAPE), 3)
    left = (padded.shape[1] - 180) // 2
    np.testing.assert_array_equal(padded[:, left : left + 180], strip)
    np.testing.assert_array_equal(padded[:, left - 1], strip[:, 0])  # mirrored, not a colour
    assert padded_strip(rng.integers(0, 256, (180, 320, 3), np.uint8), 1000) is None
    assert padded_strip(rng.integers(0, 256, (300, 300, 3), np.uint8), 1000) is None


def test_a_large_strip_is_shrunk_before_it_is_padded():
    tall = np.zeros((2340, 1080, 3), np.uint8)  # a phone screenshot's size
    padded = padded_strip(tall, 640)
    assert padded is not None and padded.shape[1] <= 641 and padded.shape[0] < 2340 / 3


def test_a_padded_strip_is_nearer_its_frame_than_the_strip_itself(shared_media):
    """SSCD (the default descriptor) on real frames of both test clips, strips at the left,
    middle and right: padded, the strip's vector is nearer its frame's in nearly every case
    (0.08 on average when this was written)."""
    settings = Settings()
    assert settings.descriptor == "sscd_distilled"
    embedder = make_embedder(settings)

    def prepared(rgb: np.ndarray) -> np.ndarray:
        frame = QueryFrame(0.0, rgb)
        out = prepare_query_frames([frame], settings.resolution, True, settings.black_level)
        return out[0].rgb

    gains = []
    for clip, times in (("big_buck_bunny_clip.mp4", (1.0, 3.0)), ("bikes.mp4", (2.0, 6.0))):
        for t in times:
            _, frame = frame_at(shared_media / clip, t)
            h, w = frame.shape[:2]
            width = round(h * 9 / 16)
            for left in (0, (w - width) // 2, w - width):
                strip = np.ascontiguousarray(frame[:, left : left + width])
                padded = padded_strip(strip, 640)
                assert padded is not None
                whole, alone, wider = embedder.embed([prepared(x) for x in (frame, strip, padded)])
                gains.append(float(whole @ wider - whole @ alone))
    assert sum(g > 0 for g in gains) >= len(gains) - 2 and np.mean(gains) > 0.04, gains
