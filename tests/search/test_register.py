"""Locating a video frame inside a larger query (sabi.search.register): a player window with
chrome and subtitles, the frame scaled into it; and a crop inside the frames of a pan, to a
fraction of a pixel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

import sabi.search.register as register
from sabi.search.refine import FIT
from sabi.search.register import crop_fits_near, locate, peak

pytestmark = pytest.mark.fast


def landscape(seed: int, width: int = 320, height: int = 180) -> np.ndarray:
    """A smooth random picture (detail about a 27th of its width, like a scene, not noise)."""
    coarse = np.random.default_rng(seed).integers(0, 256, (height // 12, width // 12, 3), np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC))


def window(frame: np.ndarray, box: tuple[int, int, int, int], size=(960, 603)) -> np.ndarray:
    """``frame`` scaled into ``box`` (top, left, bottom, right) of a grey window, with a white
    subtitle band over its lower part."""
    top, left, bottom, right = box
    out = np.full((size[1], size[0], 3), 60, np.uint8)
    out[:30] = 200  # title bar
    out[top:bottom, left:right] = np.asarray(
        Image.fromarray(frame).resize((right - left, bottom - top), Image.Resampling.BILINEAR)
    )
    out[bottom - 50 : bottom - 20, left + 250 : right - 250] = 255
    return out


@pytest.mark.parametrize("box", [(40, 50, 524, 910), (30, 0, 570, 960), (100, 200, 424, 776)])
def test_the_frame_is_found_where_it_sits(box):
    """Across most of the window, the whole width, 60 % of it."""
    frame = landscape(2)
    found, fit = locate(frame, window(frame, box))
    assert fit > FIT
    assert np.abs(np.array(found) - np.array(box)).max() <= 0.01 * 960, (found, box)


def test_another_picture_does_not_fit():
    _, fit = locate(landscape(3), window(landscape(2), (40, 50, 524, 910)))
    assert fit < 0.5


def test_the_peak_between_pixels_is_its_top():
    """Sampled at whole pixels, a peak at (y, x) = (-0.3, 0.4) reads lower than it is; the
    parabolas through the best sample and its neighbours give back its height."""
    y, x = np.mgrid[-3:4, -3:4].astype(float)
    corr = 0.99 - 0.01 * ((x - 0.4) ** 2 + (y + 0.3) ** 2)
    assert corr.max() < 0.989
    assert peak(corr) == pytest.approx(0.99, abs=1e-9)


def test_a_peak_at_the_edge_is_taken_as_it_is():
    corr = np.array([[0.2, 0.5, 0.9], [0.1, 0.4, 0.8]])
    assert peak(corr) == pytest.approx(0.9)


def panned(frames: int = 13, step: int = 2) -> list[np.ndarray]:
    """A pan at 1280x720: ``step`` pixels a frame (half a pixel at 320 wide), with a disc
    moving 4 pixels a frame across it (a character walking while the camera pans)."""
    canvas = landscape(5, 1280 + step * frames + 8, 720)
    out = []
    for j in range(frames):
        image = Image.fromarray(np.ascontiguousarray(canvas[:, step * j : step * j + 1280]))
        x = 500 + 4 * j
        ImageDraw.Draw(image).ellipse((x - 14, 366, x + 14, 394), fill=(255, 255, 255))
        out.append(np.asarray(image))
    return out


def test_a_crop_fits_the_frame_it_was_cut_from_between_pixels(monkeypatch):
    """A crop of frame 6, cut off the 320-wide grid: frames a half pixel apart land on it in
    turn, and at whole pixels frame 7 fits best; its fit taken between pixels, frame 6."""
    full = panned()
    frames = [np.asarray(Image.fromarray(f).resize((320, 180), Image.Resampling.BOX)) for f in full]
    top, left, tall, wide = 109, 193, 500, 889  # in the 1280-wide frame
    crop = Image.fromarray(full[6][top : top + tall, left : left + wide])
    query = np.asarray(crop.resize((320, round(320 * tall / wide)), Image.Resampling.BILINEAR))
    box = (round(top / 4), round(left / 4), round((top + tall) / 4), round((left + wide) / 4))
    assert int(np.argmax(crop_fits_near(query, frames, box, 3, 2))) == 6
    monkeypatch.setattr(register, "peak", lambda corr: float(corr.max()))
    assert int(np.argmax(crop_fits_near(query, frames, box, 3, 2))) == 7
