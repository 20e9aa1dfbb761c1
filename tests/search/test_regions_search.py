"""Regions: a frame that fills only part of the query is found; a plain screenshot costs one
embedding, as before."""

from __future__ import annotations

import io

import numpy as np
import pytest
from composites import paste, phone_screenshot, photo_like, post_card, screen_photo
from media import frame_at, screenshot
from PIL import Image

from sabi.app import Sabi
from sabi.prepare.regions import Region
from sabi.prepare.screens import find_screens
from sabi.search.searcher import Match, widened

CLIP = "big_buck_bunny_clip.mp4"


@pytest.fixture(scope="module")
def lib(tmp_path_factory, shared_media):
    """Two short real clips, indexed as two shows."""
    data = tmp_path_factory.mktemp("regions-lib")
    with Sabi.open(data_dir=data) as sabi:
        assert sabi.index([shared_media / CLIP], show="Bunny", episode=2).ok
        assert sabi.index([shared_media / "bikes.mp4"], show="Bikes").ok
    return data


class CountingEmbedder:
    """The real embedder, counting its calls and the frames it was given."""

    def __init__(self, inner):
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.calls: list[int] = []

    def embed(self, frames):
        self.calls.append(len(frames))
        return self.inner.embed(frames)


def _search(lib, data: bytes, **settings):
    with Sabi.open(data_dir=lib, **settings) as sabi:
        counting = CountingEmbedder(sabi.embedder)
        sabi.searcher.embedder = counting
        return sabi.search(data), counting.calls


def _png(rgb) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


@pytest.mark.parametrize(
    "build",
    [
        lambda f: paste(f, photo_like(1200, 1200, seed=5), 0.32, (0.75, 0.15))[0],
        lambda f: phone_screenshot(f)[0],
    ],
    ids=["pasted", "phone"],
)
def test_a_frame_inside_a_larger_picture_is_found(lib, shared_media, build):
    t, rgb = frame_at(shared_media / CLIP, 3.0)
    query = _png(build(rgb))
    found, calls = _search(lib, query, regions=True, max_regions=6)
    best = found.result[0]
    assert best.filename == CLIP and abs(best.at - t) <= 1.0, (best.filename, best.at, t)
    assert len(calls) == 2 and calls[0] == 1 and 1 <= calls[1] <= 6  # the regions: one batch
    plain, plain_calls = _search(lib, query, regions=False)
    assert plain_calls == [1]
    whole = plain.result[0]
    right = whole.filename == CLIP and abs(whole.at - t) <= 1.0
    assert not right or whole.similarity < best.similarity - 0.2, (whole, best)


def test_a_screen_photographed_at_an_angle_is_straightened(lib, shared_media):
    """The whole photo matches weakly (bezel, background, keystone); the straightened screen,
    searched beside it, matches much better and is found. Screens are looked for whenever the
    answer is not yet found, whatever ``region_below`` (which gates the level boxes: off here,
    so only the screen can help)."""
    t, rgb = frame_at(shared_media / CLIP, 3.0)
    corners = ((150.0, 190.0), (1130.0, 120.0), (1150.0, 760.0), (120.0, 820.0))
    query = _png(screen_photo(rgb, corners))
    on, calls = _search(lib, query, regions=True, region_below=0.0)
    off, _ = _search(lib, query, regions=False)
    best, whole = on.result[0], off.result[0]
    assert best.filename == CLIP and abs(best.at - t) <= 1.0, (best, t)
    assert len(calls) == 2 and calls[1] >= 1
    assert best.similarity > whole.similarity + 0.1, (whole.similarity, best.similarity)
    assert on.found and not off.found


def test_boxes_are_searched_whenever_the_answer_is_not_yet_found(lib, shared_media):
    """A frame on a post's card matches weakly as a whole (about 0.56 here) but above the old
    gate (0.5), so before only the screen finder looked inside it. By default the boxes are
    searched whenever the answer is not yet found (``region_below`` = ``min_similarity``),
    and the frame's own box matches better than the screen found around it."""
    t, rgb = frame_at(shared_media / CLIP, 3.0)
    query = _png(post_card(rgb)[0])
    whole, _ = _search(lib, query, regions=False)
    assert 0.5 < whole.result[0].similarity < 0.77
    before, before_calls = _search(lib, query, region_below=0.5)
    now, calls = _search(lib, query)
    best = now.result[0]
    assert best.filename == CLIP and abs(best.at - t) <= 1.0, (best, t)
    assert calls[1] > before_calls[1]  # the boxes joined the screens in the second batch
    assert best.similarity > before.result[0].similarity + 0.02
    assert now.found


@pytest.mark.parametrize(
    "clip,t,right", [(CLIP, 1.0, False), ("bikes.mp4", 2.0, True), ("bikes.mp4", 6.0, True)]
)
def test_a_strip_cut_for_phones_is_searched_padded_to_a_frames_shape(
    lib, shared_media, clip, t, right
):
    """A 9:16 strip of the frame (a re-upload cut to a phone's shape, no fill) matches its
    frame weakly as it is (0.39-0.46 here); padded back to 16:9 by mirroring its sides it
    matches better, searched in the boxes' batch and counted in ``max_regions``, and it is
    placed in time by the strip's own pixels (narrow boxes of the samples)."""
    t, rgb = frame_at(shared_media / clip, t)
    width = round(rgb.shape[0] * 9 / 16)
    strip = rgb[:, -width:] if right else rgb[:, :width]
    query = _png(np.ascontiguousarray(strip))
    on, calls = _search(lib, query, max_regions=2)
    off, _ = _search(lib, query, regions=False)
    best = on.result[0]
    assert best.filename == clip and abs(best.at - t) <= 1.0, (best, t)
    assert len(calls) == 2 and 1 <= calls[1] <= 2
    assert best.similarity > off.result[0].similarity + 0.08, (off.result[0], best)


def test_a_plain_screenshot_costs_one_embedding_and_is_unchanged(lib, shared_media):
    t, rgb = frame_at(shared_media / CLIP, 2.5)
    query = screenshot(rgb)
    on, calls = _search(lib, query, regions=True)
    off, _ = _search(lib, query, regions=False)
    assert calls == [1]
    assert on.result[0].filename == CLIP and on.result[0].similarity >= 0.5
    assert on.as_json() == off.as_json()


def test_regions_are_not_tried_above_region_below(lib, shared_media):
    """``region_below`` is the gate: at 0 even a weak answer is left as it is."""
    _, rgb = frame_at(shared_media / CLIP, 3.0)
    query = _png(paste(rgb, photo_like(1200, 1200, seed=5), 0.32, (0.75, 0.15))[0])
    _, calls = _search(lib, query, regions=True, region_below=0.0)
    assert calls == [1]


def test_exact_moment_of_a_pasted_frame_uses_the_box(lib, shared_media):
    """The exact frame is looked for with the box that matched, not the whole picture: with the
    whole meme as the query, every frame of the source is equally unlike it."""
    t, rgb = frame_at(shared_media / CLIP, 1.3)
    query = _png(paste(rgb, photo_like(1200, 1200, seed=7), 0.35, (0.1, 0.55))[0])
    with Sabi.open(data_dir=lib) as sabi:
        best = sabi.search(query, exact=True).result[0]
    assert best.filename == CLIP and abs(best.at - t) <= 1 / 25 + 2e-3, (best.at, t)


def test_a_box_is_widened_for_the_exact_frame():
    """A proposed box can clip the frame it holds: ``exact`` looks for the frame in a copy
    widened by CONTEXT each side (within the image), scaled as the box was."""
    rng = np.random.default_rng(3)
    still = rng.integers(0, 256, (400, 1000, 3), np.uint8)
    wide = widened(Region(100, 50, 420, 230, 1.0, "edges"), still, 320)  # a 320x180 box
    assert wide.shape[:2] == (216, 384)  # 32 pixels more each side, 18 above and below
    assert np.array_equal(wide, still[32:248, 68:452])
    corner = widened(Region(0, 0, 320, 180, 1.0, "edges"), still, 160)  # scaled by half
    assert corner.shape[:2] == (99, 176)  # only right and below: the image ends there


def test_a_screen_is_widened_for_the_exact_frame():
    """A straightened screen comes with a wider copy too (``Screen.crop`` with a margin of
    CONTEXT each side), scaled as the screen was for searching: the outline found can be a
    few pixels off the frame's edges, as a box can."""
    corners = ((150.0, 190.0), (1130.0, 120.0), (1150.0, 760.0), (120.0, 820.0))
    photo = screen_photo(photo_like(640, 360, seed=2), corners)
    screen = find_screens(photo)[0]
    match = Match([], [photo, screen.crop(photo)], [], [None, screen], photo)
    whole, wide = match.contexts(320, {0, 1})
    assert match.contexts(320, {0}) == [None, None]  # only the images asked for
    assert whole is None
    plain = screen.crop(photo)
    assert wide.shape[1] == 384  # 32 pixels more each side, as for a 320-wide box
    expected = 384 * (plain.shape[0] + 2 * round(0.1 * plain.shape[0]))
    assert abs(wide.shape[0] - expected / (plain.shape[1] + 2 * round(0.1 * plain.shape[1]))) <= 1
