"""Black bars are cut per video, never a dark scene."""

from __future__ import annotations

import numpy as np
import pytest
from media import make_video

from sabi.prepare.borders import Crop, detect_crop
from sabi.prepare.decode import probe_crop

pytestmark = pytest.mark.fast


def _picture(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(40, 255, (h, w, 3), dtype=np.uint8)


def test_letterbox_detected():
    frame = np.zeros((180, 320, 3), np.uint8)
    frame[30:150] = _picture(120, 320)
    crop = detect_crop([frame])
    assert abs(crop.top - 30 / 180) < 0.01 and abs(crop.bottom - 30 / 180) < 0.01
    assert crop.left == 0 and crop.right == 0
    assert crop.apply(frame).shape == (120, 320, 3)


def test_pillarbox_detected():
    frame = np.zeros((180, 320, 3), np.uint8)
    frame[:, 40:280] = _picture(180, 240)
    crop = detect_crop([frame])
    assert crop.apply(frame).shape == (180, 240, 3)


def test_dark_scene_in_a_video_is_not_cropped():
    frames = [_picture(180, 320, s) for s in range(6)]
    dark = np.zeros((180, 320, 3), np.uint8)
    dark[80:100, 100:200] = 200  # a dark scene: only a small lit area
    crop = detect_crop(frames + [dark, dark])
    assert crop.empty


def test_subtitle_in_a_bar_does_not_undo_the_crop():
    frames = []
    for s in range(8):
        f = np.zeros((180, 320, 3), np.uint8)
        f[20:160] = _picture(140, 320, s)
        if s < 2:
            f[165:172, 100:220] = 255  # subtitle text in the bottom bar of some frames
        frames.append(f)
    crop = detect_crop(frames)
    assert abs(crop.top - 20 / 180) < 0.01 and abs(crop.bottom - 20 / 180) < 0.01


def test_never_crops_most_of_the_picture():
    frame = np.zeros((180, 320, 3), np.uint8)
    frame[85:95] = 255
    assert detect_crop([frame]) == Crop()


def test_probe_crop_on_a_letterboxed_video(tmp_path):
    path = make_video(tmp_path / "lb.mp4", "testsrc2", seconds=4, size=(320, 240), letterbox=30)
    crop = probe_crop(path, 320, 24)
    assert abs(crop.top - 30 / 240) < 0.02 and abs(crop.bottom - 30 / 240) < 0.02
