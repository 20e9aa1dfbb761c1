"""How well a crop fits each sample (sabi.search.cropfit): the shortcut through sums and
squares gives the same correlations as resampling every box, and a crop fits the sample it was
cut from."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sabi.prepare.thumbs import SIZE, grey_thumbnail, unit_rows
from sabi.search.cropfit import (
    SMALLEST,
    boxes,
    crop_fits,
    crop_fits_finer,
    fine_box,
    narrowest_column,
    out_size,
    window_fits,
)
from sabi.search.lookalike import CLOSE

OUT = out_size(*SIZE)

pytestmark = pytest.mark.fast


def test_boxes_cover_half_the_axis_up_to_all_of_it():
    per_axis = boxes(SIZE[0], OUT[0])
    assert per_axis.shape[1:] == (OUT[0], SIZE[0])
    np.testing.assert_allclose(per_axis.sum(axis=2), 1.0, atol=1e-6)  # each output a weighted mean
    spans = (per_axis > 0).any(axis=1).sum(axis=1)  # thumbnail pixels each box reads
    assert spans.min() >= SMALLEST * SIZE[0] and spans.max() == SIZE[0]


def test_the_shortcut_equals_resampling_every_box():
    rng = np.random.default_rng(2)
    thumbs = rng.integers(0, 256, (3, SIZE[1], SIZE[0]), np.uint8)
    image = rng.integers(0, 256, (60, 90, 3), np.uint8)
    grey = grey_thumbnail(image, OUT)
    views = unit_rows(np.stack([grey.ravel(), grey[:, ::-1].ravel()]))
    rows, cols = boxes(SIZE[1], OUT[1]), boxes(SIZE[0], OUT[0])
    resampled = np.einsum("aij,njk,blk->nabil", rows, thumbs.astype(np.float32), cols)
    direct = (unit_rows(resampled.reshape(-1, OUT[0] * OUT[1])) @ views.T).max(axis=1)
    expected = direct.reshape(len(thumbs), -1).max(axis=1)
    np.testing.assert_allclose(crop_fits(thumbs, image), expected, atol=1e-4)


def shots(seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Four unrelated 320x180 frames of coarse shapes, and their thumbnails as indexed."""
    rng = np.random.default_rng(seed)
    frames = [
        np.asarray(Image.fromarray(c).resize((320, 180), Image.Resampling.BICUBIC))
        for c in rng.integers(0, 256, (4, 8, 14, 3), np.uint8)
    ]
    return frames, np.stack([grey_thumbnail(f) for f in frames])


def test_a_crop_fits_its_own_sample_best_and_its_mirror_image_too():
    frames, thumbs = shots(4)
    part = frames[2][30:150, 60:280]  # 69 % of the width, 67 % of the height
    for query in (part, part[:, ::-1]):
        fits = crop_fits(thumbs, query)
        assert int(np.argmax(fits)) == 2 and fits[2] > 0.95
        assert np.delete(fits, 2).max() < 0.9


def test_a_frame_inside_a_window_fits_its_own_sample_best():
    frames, thumbs = shots(6)
    page = np.full((220, 340, 3), 235, np.uint8)  # a page around the player
    page[25:205, 10:330] = frames[1]
    for query in (page, page[:, ::-1]):
        fits = window_fits(thumbs, query)
        assert int(np.argmax(fits)) == 1 and fits[1] > CLOSE
        assert np.delete(fits, 1).max() < 0.9


def test_finer_boxes_tell_the_frames_of_a_moving_object_apart():
    """A white block moves 2 pixels a frame (a third of a 48x28 thumbnail's pixel) over a
    still picture; a crop of the middle frame fits its neighbours' coarse boxes about as well,
    but the finer boxes near them name it."""
    named = {"coarse": 0, "finer": 0}
    for seed in range(8):
        rng = np.random.default_rng(seed)
        still = rng.integers(0, 256, (8, 14, 3), np.uint8)
        picture = np.asarray(Image.fromarray(still).resize((320, 180), Image.Resampling.BICUBIC))
        frames = []
        for k in range(9):
            frame = picture.copy()
            frame[70:110, 120 + 2 * k : 150 + 2 * k] = 255
            frames.append(frame)
        query = np.ascontiguousarray(frames[4][25:155, 50:270])
        coarse = np.stack([grey_thumbnail(f, (48, 28)) for f in frames])
        fine = np.stack([grey_thumbnail(f, (96, 54)) for f in frames])
        named["coarse"] += int(np.argmax(crop_fits(coarse, query))) == 4
        named["finer"] += int(np.argmax(crop_fits_finer(coarse, fine, query))) == 4
    assert named["finer"] >= 6 and named["coarse"] <= 3, named


def test_a_strip_of_the_full_height_fits_its_own_sample():
    """A 9:16 strip of a 16:9 frame is a third of its width: boxes from half the width up
    left it fitting no sample (under 0.7 here, its own frame not always first); the narrow
    boxes a query of its shape gets find its own frame, in the coarse and the finer pass."""
    frames, thumbs = shots(8)
    fine = np.stack([grey_thumbnail(f, (96, 54)) for f in frames])
    coarse = np.stack([grey_thumbnail(f, (48, 28)) for f in frames])
    for left in (0, 110, 219):
        strip = np.ascontiguousarray(frames[3][:, left : left + 101])
        assert narrowest_column(strip, *SIZE) < 0.35
        fits = crop_fits(thumbs, strip)
        assert int(np.argmax(fits)) == 3 and fits[3] > 0.95, fits
        finer = crop_fits_finer(coarse, fine, strip)
        assert int(np.argmax(finer)) == 3 and finer[3] > 0.95, finer
    assert narrowest_column(frames[0], *SIZE) == SMALLEST  # a frame-shaped query: as before


@pytest.mark.parametrize("mirrored", [False, True])
def test_the_finer_box_says_where_a_crop_sits(mirrored):
    """The box the finer pass fits (``fine_box``), as shares of the frame, is where the crop
    was cut, within a pixel of the 96-wide thumbnail, and says when the crop is mirrored."""
    frames, _ = shots(4)
    top, left, bottom, right = 30, 60, 150, 280
    part = np.ascontiguousarray(frames[2][top:bottom, left:right])
    query = part[:, ::-1] if mirrored else part
    coarse, fine = grey_thumbnail(frames[2], (48, 28)), grey_thumbnail(frames[2], (96, 54))
    flipped, box = fine_box(coarse, fine, np.ascontiguousarray(query))
    assert flipped == mirrored
    np.testing.assert_allclose(box, (top / 180, left / 320, bottom / 180, right / 320), atol=1 / 54)
