"""Finding a screen photographed at an angle (sabi.prepare.screens) and straightening it."""

from __future__ import annotations

import numpy as np
from composites import phone_screenshot, screen_photo
from PIL import Image

from sabi.prepare.screens import find_screens

CORNERS = ((180.0, 170.0), (1150.0, 110.0), (1120.0, 760.0), (210.0, 830.0))


def pattern(w: int = 640, h: int = 360) -> np.ndarray:
    """A frame with structure at every scale: blotches and a grid of shapes."""
    rng = np.random.default_rng(8)
    coarse = rng.integers(0, 256, (9, 16, 3), dtype=np.uint8)
    img = np.asarray(Image.fromarray(coarse).resize((w, h), Image.Resampling.BICUBIC)).copy()
    for i in range(6):
        for j in range(10):
            y, x = 20 + i * 55, 20 + j * 62
            img[y : y + 25, x : x + 30] = rng.integers(0, 256, 3)
    return img


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    def grey(x: np.ndarray) -> np.ndarray:
        g = np.asarray(Image.fromarray(x).convert("L").resize((64, 36)), np.float32)
        return (g - g.mean()) / (np.linalg.norm(g - g.mean()) + 1e-6)

    return float((grey(a) * grey(b)).sum())


def test_a_tilted_screen_is_found_and_straightened():
    frame = pattern()
    photo = screen_photo(frame, CORNERS)
    screens = find_screens(photo)
    assert screens, "no screen found"
    best = np.array(screens[0].corners)
    assert np.abs(best - np.array(CORNERS)).max() < 0.03 * photo.shape[1], best
    straight = screens[0].crop(photo)
    assert 1.2 <= straight.shape[1] / straight.shape[0] <= 2.5
    # straightened, it lines up with the frame; the photo as it is does not
    assert correlation(straight, frame) > 0.8
    assert correlation(photo, frame) < 0.5


def test_level_pictures_are_left_to_the_box_proposals():
    """A plain frame, or a phone screenshot (a level box), has no tilted outline: nothing to
    straighten, and the searcher pays no embedding for it."""
    frame = pattern()
    assert find_screens(frame) == []
    assert find_screens(phone_screenshot(frame)[0]) == []
    assert find_screens(np.zeros((20, 20, 3), np.uint8)) == []


def test_a_screen_widened_holds_the_straightened_one_in_its_middle():
    """``exact`` looks for the frame in a wider copy (the outline found can be a few pixels
    off the frame's edges): the same straightening, with a margin of the photo around it."""
    photo = screen_photo(pattern(), CORNERS)
    screen = find_screens(photo)[0]
    plain, wide = screen.crop(photo), screen.crop(photo, 0.1)
    h, w = plain.shape[:2]
    dy, dx = round(0.1 * h), round(0.1 * w)
    assert wide.shape[:2] == (h + 2 * dy, w + 2 * dx)
    middle = wide[dy : dy + h, dx : dx + w].astype(int)
    assert np.abs(middle - plain.astype(int)).max() <= 2
    assert correlation(wide, plain) < 0.9  # the margin shows more of the photo
