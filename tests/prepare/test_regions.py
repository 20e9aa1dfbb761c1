"""Boxes where a video frame may sit inside a larger picture (sabi.prepare.regions)."""

from __future__ import annotations

import numpy as np
import pytest
from composites import iou, over_its_blur, paste, phone_screenshot, photo_like, side_by_side
from media import frame_at

from sabi.prepare.regions import propose_regions

pytestmark = pytest.mark.fast


@pytest.fixture(scope="module")
def frames(shared_media):
    """Two real frames: a cartoon and street footage."""
    return [
        frame_at(shared_media / "big_buck_bunny_clip.mp4", 3.0)[1],
        frame_at(shared_media / "bikes.mp4", 4.0)[1],
    ]


def _best(regions, box) -> float:
    return max((iou(r.box, box) for r in regions), default=0.0)


@pytest.mark.parametrize(
    "size,share,at",
    [
        ((1200, 1200), 0.30, (0.1, 0.8)),
        ((1600, 900), 0.38, (0.7, 0.2)),
        ((1080, 1350), 0.45, (0.5, 0.5)),
    ],
)
@pytest.mark.parametrize("which", [0, 1])
def test_a_frame_pasted_small_into_a_photo_is_proposed(frames, size, share, at, which):
    canvas = photo_like(size[0], size[1], seed=which)
    picture, box = paste(frames[which], canvas, share, at)
    regions = propose_regions(picture, 6)
    assert _best(regions, box) >= 0.7, (box, [r.box for r in regions])


@pytest.mark.parametrize("dark", [False, True])
@pytest.mark.parametrize("which", [0, 1])
def test_the_player_of_a_phone_screenshot_is_proposed(frames, dark, which):
    picture, box = phone_screenshot(frames[which], dark=dark)
    regions = propose_regions(picture, 6)
    assert _best(regions, box) >= 0.7, (box, [r.box for r in regions])


@pytest.mark.parametrize(
    "size,shift,dim",
    [
        ((720, 1280), 90, 0.6),
        ((720, 1280), -120, 0.85),
        ((1080, 1080), 0, 0.85),
        ((1280, 720), 0, 0.75),
    ],
    ids=["portrait-below", "portrait-above-faint", "square-faint", "4:3-in-16:9"],
)
@pytest.mark.parametrize("which", [0, 1])
def test_a_frame_over_its_own_blurred_copy_is_proposed(frames, size, shift, dim, which):
    """A re-upload at another shape: the frame across the whole width (or height), its blurred
    copy around it. No outline closes the box (two of its sides are the picture's edges), and
    the seams are faint where the blur is nearly as bright as the frame's edge: the edge boxes
    alone miss the cartoon frame above the middle of a portrait picture (IoU 0.54)."""
    frame = frames[which]
    if size == (1280, 720):  # a 4:3 frame across the height of a 16:9 picture
        h, w = frame.shape[:2]
        frame = np.ascontiguousarray(frame[:, (w - h * 4 // 3) // 2 :][:, : h * 4 // 3])
    picture, box = over_its_blur(frame, size, shift, dim)
    regions = propose_regions(picture, 6)
    assert _best(regions, box) >= 0.9, (box, [r.box for r in regions])


def test_the_pasted_frame_is_the_first_box(frames):
    """The outline of a pasted picture is the strongest evidence there is: it leads, so a
    small max_regions still finds it."""
    picture, box = paste(frames[0], photo_like(1200, 1200, seed=3), 0.35, (0.3, 0.6))
    first = propose_regions(picture, 1)
    assert len(first) == 1 and iou(first[0].box, box) >= 0.7


def test_a_plain_frame_is_not_proposed_again(frames):
    """The whole image is searched first; a box that is nearly all of it would be paid for
    twice."""
    for frame in frames:
        h, w = frame.shape[:2]
        for r in propose_regions(frame, 32):
            assert iou(r.box, (0, 0, w, h)) <= 0.8


@pytest.mark.parametrize("most", [0, 1, 3, 6])
def test_no_more_boxes_than_asked(frames, most):
    rng = np.random.default_rng(0)
    busy = rng.integers(0, 256, (900, 1600, 3), dtype=np.uint8)  # edges everywhere
    pasted, _ = paste(frames[1], photo_like(1600, 900), 0.4, (0.2, 0.2))
    for picture in (busy, pasted, phone_screenshot(frames[0])[0]):
        regions = propose_regions(picture, most)
        assert len(regions) <= most
        h, w = picture.shape[:2]
        for r in regions:
            assert 0 <= r.x0 < r.x1 <= w and 0 <= r.y0 < r.y1 <= h
            assert r.crop(picture).shape[:2] == (r.y1 - r.y0, r.x1 - r.x0)
        assert [r.score for r in regions] == sorted((r.score for r in regions), reverse=True)


def test_flat_panels_and_blank_pictures_get_no_boxes():
    """A filled rectangle of a video's shape has a perfect outline but nothing inside: not a
    frame. A blank picture, or one too small to hold a frame, gets nothing at all."""
    panel = np.full((1000, 1000, 3), 200, np.uint8)
    panel[100:300, 100:500] = 30
    assert all(iou(r.box, (100, 100, 500, 300)) < 0.7 for r in propose_regions(panel, 32))
    assert propose_regions(np.full((720, 1280, 3), 255, np.uint8), 6) == []
    assert propose_regions(np.zeros((8, 8, 3), np.uint8), 6) == []


@pytest.mark.parametrize("gap,colour,left", [(24, 255, True), (30, 0, False)])
@pytest.mark.parametrize("which", [0, 1])
def test_both_pictures_of_a_comparison_meme_come_first(frames, gap, colour, left, which):
    """A frame beside another picture, a plain gap between them: the gap cuts the meme into
    its two pictures exactly. Ranked below the edge boxes found inside two textured pictures,
    those blocks were not among the first two boxes (the best of them: IoU 0.84 with the
    cartoon, 0.3 with the street)."""
    picture, box = side_by_side(frames[which], frames[1 - which], gap, colour, left=left)
    regions = propose_regions(picture, 2)
    assert _best(regions, box) >= 0.95, (box, [r.box for r in regions])
