"""Locating a video frame inside a larger query (sabi.search.register): a player window with
chrome and subtitles, the frame scaled into it."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sabi.search.refine import FIT
from sabi.search.register import locate

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
