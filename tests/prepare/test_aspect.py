"""Anamorphic video (pixels that are not square, as in DVD and broadcast rips) is sampled at the
aspect a player shows, like the screenshots people search with."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from sabi.prepare.decode import probe, sample_frames


def _anamorphic(path: Path, sar: Fraction, size: tuple[int, int] = (160, 120)) -> Path:
    out = av.open(str(path), "w")
    stream = out.add_stream("mpeg4", rate=10)
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.codec_context.sample_aspect_ratio = sar
    rng = np.random.default_rng(0)
    for _ in range(20):
        rgb = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
        out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
    out.mux(stream.encode(None))
    out.close()
    return path


def test_wide_pixels_make_a_wider_frame(tmp_path):
    video = _anamorphic(tmp_path / "wide.mp4", Fraction(2, 1))  # 160x120 stored, 320x120 shown
    assert probe(video).sar == 2.0
    frame = next(iter(sample_frames(video, 2.0, 160)))
    assert frame.rgb.shape == (60, 160, 3)


def test_square_pixels_keep_their_shape(tmp_path):
    video = _anamorphic(tmp_path / "square.mp4", Fraction(1, 1))
    assert probe(video).sar == 1.0
    assert next(iter(sample_frames(video, 2.0, 160))).rgb.shape == (120, 160, 3)
