"""The moment a result names: placed between the stored samples, and with the source at hand
the frame itself.

Screenshots are taken between sampling instants (the index holds 2 frames a second), in held
and in moving shots. Without ``exact`` the answer is placed between the best sampled frame and
its neighbours (sabi.search.moment), within half a second here; with it, the frame itself:
within one frame of the true time, or a frame that is pixel for pixel the same (a held picture
has no single right time).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from media import frame_at, screenshot
from PIL import Image, ImageDraw
from typer.testing import CliRunner

import sabi.search.lookalike as lookalike_module
from sabi.app import Sabi
from sabi.cli import app
from sabi.search.cropfit import straightened
from sabi.search.scenes import Likeness, Scene

WEBM = "big_buck_bunny_0_30.webm"
MP4 = "big_buck_bunny_clip.mp4"
ONE_FRAME = 1 / 24 + 2e-3  # both clips run at 24-25 fps; answers are rounded to 1 ms

# (clip, seconds): 12.34 s is the README's demo, in a held shot; 2.0 s is the start of a long
# held run of big_buck_bunny_clip.mp4; the others are moving shots, off the 0.5 s grid.
MOMENTS = [(WEBM, 12.34), (MP4, 2.0), (WEBM, 4.2), (WEBM, 7.2), (WEBM, 9.7), (WEBM, 20.1)]


@pytest.fixture(scope="module")
def library(tmp_path_factory, shared_media: Path) -> Path:
    """The two Big Buck Bunny clips, copied (one test takes a file away), indexed."""
    root = tmp_path_factory.mktemp("exact")
    for name in (WEBM, MP4):
        shutil.copy(shared_media / name, root / name)
    with Sabi.open(data_dir=root / "data", threads=2) as sabi:
        report = sabi.index([root / WEBM, root / MP4], show="Bunny")
        assert report.ok, report.results
    return root


@pytest.fixture
def sabi(library: Path):
    with Sabi.open(data_dir=library / "data", create=False) as s:
        yield s


def _same_or_within_a_frame(path: Path, at: float, t: float) -> None:
    if abs(at - t) <= ONE_FRAME:
        return
    shown = frame_at(path, at - 2e-3)[1]  # ``at`` is rounded to 1 ms: the frame at or after
    assert np.array_equal(shown, frame_at(path, t - 2e-3)[1]), (t, at)


@pytest.mark.parametrize("name,when", MOMENTS)
def test_sampled_and_exact_moment(sabi, library, name, when):
    t, rgb = frame_at(library / name, when)
    query = screenshot(rgb, width=640, quality=40)
    sampled = sabi.search(query, exact=False).result[0]
    assert sampled.filename == name
    assert abs(sampled.at - t) <= 0.5, (t, sampled)
    exact = sabi.search(query, exact=True).result[0]
    assert exact.filename == name
    assert exact.from_ <= exact.at <= exact.to
    _same_or_within_a_frame(library / name, exact.at, t)


@pytest.mark.parametrize("when", [12.71, 23.92])
def test_late_in_a_run_the_moment_is_placed_towards_the_next_sample(sabi, library, when):
    """Late in a kept frame's run (12.0 s and 23.0 s stand for the frames after them), the kept
    frame is more than half a second away; the stored neighbours place the moment nearer."""
    t, rgb = frame_at(library / WEBM, when)
    result = sabi.search(screenshot(rgb, width=640, quality=40), exact=False).result[0]
    assert result.filename == WEBM
    assert abs(result.at - t) < 0.5, (t, result)
    assert result.from_ <= result.at <= result.to


@pytest.mark.parametrize("when", [15.1, 17.8])
def test_in_a_slow_pan_the_moment_is_the_sample_that_looks_alike(sabi, library, when):
    """15-20 s is a slow pan whose vectors score samples seconds apart alike (the moment from
    the vectors alone was 1.6 s and 2.2 s off here); the kept thumbnails of every sample put
    it on one beside the frame (sabi.search.lookalike)."""
    t, rgb = frame_at(library / WEBM, when)
    result = sabi.search(screenshot(rgb, width=640, quality=40), exact=False).result[0]
    assert result.filename == WEBM
    assert abs(result.at - t) < 0.5, (t, result)
    assert result.from_ <= result.at <= result.to


def test_every_sampled_frame_keeps_a_thumbnail(sabi):
    """One every half second of the 30 s clip, the near-duplicates that kept no vector too."""
    views = sabi.catalog.views(sabi.catalog.indexed_ids()).values()
    episode = next(v.id for v in views if v.filename == WEBM)
    times = [t for t, _ in sabi.catalog.samples(episode, 0.0, 60.0)]
    assert 59 <= len(times) <= 61
    assert np.allclose(np.diff(times), 0.5, atol=0.05)
    kept = sabi.store.around(episode, 0.0, 60.0)[1]
    assert len(kept) < len(times)


def test_a_screenshot_framed_like_the_video_is_named_by_its_pixels(sabi, library, monkeypatch):
    """Its thumbnail already put ``at`` on a sample: the frame is among those within a step
    of it, found by correlation alone, with no frame of the source embedded."""
    t, rgb = frame_at(library / WEBM, 17.8)  # a slow pan
    query = screenshot(rgb, width=640, quality=40)
    embedded: list[int] = []
    embed = type(sabi.embedder).embed
    monkeypatch.setattr(
        type(sabi.embedder),
        "embed",
        lambda self, frames: embedded.append(len(frames)) or embed(self, frames),
    )
    answer = sabi.search(query, exact=True).result[0]
    assert answer.filename == WEBM
    _same_or_within_a_frame(library / WEBM, answer.at, t)
    assert embedded == [1]  # the query, and nothing else


@pytest.mark.parametrize("when", [12.45, 15.1, 17.8])
def test_a_player_window_in_a_slow_pan_is_named_to_the_frame(sabi, library, when):
    """The frame scaled into a window with a title bar, a control bar and subtitles: its
    thumbnail matches no sample, so the embedding chooses among the pan's alike frames, and
    the frame located in the window (sabi.search.register) settles which one by pixels (at
    12.45 s on 96x54 thumbnails; on 64x36 ones it was 4 frames off)."""
    t, rgb = frame_at(library / WEBM, when)
    win = np.full((603, 960, 3), 48, np.uint8)
    win[:32] = 210
    win[32:572] = np.asarray(Image.fromarray(rgb).resize((960, 540)))
    win[490:530, 280:680] = 250  # a subtitle line
    buf = io.BytesIO()
    Image.fromarray(win).save(buf, "JPEG", quality=75)
    answer = sabi.search(buf.getvalue(), exact=True).result[0]
    assert answer.filename == WEBM
    _same_or_within_a_frame(library / WEBM, answer.at, t)


def test_exact_is_the_setting_default(library):
    t, rgb = frame_at(library / WEBM, 12.34)
    query = screenshot(rgb)
    with Sabi.open(data_dir=library / "data", create=False, exact_at=True) as on:
        at = on.search(query).result[0].at
        assert on.search(query, exact=False).result[0].at != at  # the argument wins
    _same_or_within_a_frame(library / WEBM, at, t)


def test_missing_source_keeps_the_sampled_moment(sabi, library):
    t, rgb = frame_at(library / WEBM, 12.34)
    query = screenshot(rgb)
    sampled = sabi.search(query, exact=False).result[0]
    assert sabi.search(query, exact=True).result[0].at != sampled.at  # refined with the file
    away = library / "moved-away.webm"
    (library / WEBM).rename(away)
    try:
        answer = sabi.search(query, exact=True).result[0]
    finally:
        away.rename(library / WEBM)
    assert (answer.filename, answer.at, answer.similarity) == (
        WEBM,
        sampled.at,
        sampled.similarity,
    )


def test_gif_lands_on_its_first_frame(sabi, library):
    """Eight frames a quarter second apart: the best-matching one, less its offset in the
    GIF, names where the GIF starts."""
    t0 = frame_at(library / WEBM, 7.3)[0]
    frames = [
        Image.fromarray(frame_at(library / WEBM, t0 + 0.25 * i - 1e-3)[1]).resize((320, 180))
        for i in range(8)
    ]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=250, loop=0)
    best = sabi.search(buf.getvalue(), exact=True).result[0]
    assert best.filename == WEBM
    assert abs(best.at - t0) <= ONE_FRAME, (t0, best)


def test_cli_exact(library):
    t, rgb = frame_at(library / WEBM, 12.34)
    (library / "q.jpg").write_bytes(screenshot(rgb))
    runs = {}
    for flag in ("--exact", "--no-exact"):
        args = ["search", str(library / "q.jpg"), flag, "--json", "-d", str(library / "data")]
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 0, r.output
        runs[flag] = json.loads(r.output)["result"][0]["at"]
    assert abs(runs["--no-exact"] - t) <= 0.5
    assert abs(runs["--exact"] - t) <= ONE_FRAME, (t, runs)


def test_a_framed_screenshot_a_step_and_more_from_its_sample_is_still_named(sabi, library):
    """Where two neighbouring samples' thumbnails tie, the one a screenshot is put on can be
    the farther: its frame is then more than a sampling step away, and is still found."""
    t, rgb = frame_at(library / WEBM, 9.7)  # a moving shot: one frame correlates best
    query = screenshot(rgb, width=640, quality=40, letterbox=False)
    image = np.asarray(Image.open(io.BytesIO(query)).convert("RGB"))
    views = sabi.catalog.views(sabi.catalog.indexed_ids()).values()
    episode = next(v.id for v in views if v.filename == WEBM)
    moment = t + 0.7  # the sample taken: 1.4 steps of 0.5 s after the frame
    scene = Scene(episode, moment, moment, moment, 0.9, likeness=Likeness.FRAMED)
    answer = sabi.searcher.refiner.scene(scene, [image], library / WEBM)
    _same_or_within_a_frame(library / WEBM, answer.at, t)


def _on_a_page(rgb: np.ndarray) -> bytes:
    """The frame embedded in a web page: a white page, a tab strip, a title, thumbnails."""
    page = Image.new("RGB", (1366, 768), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, 1366, 76), fill=(225, 227, 231))
    page.paste(Image.fromarray(rgb).resize((800, 450)), (40, 100))
    draw.text((40, 570), "Big Buck Bunny, the whole film", fill=(15, 15, 15), font_size=22)
    for i in range(6):
        draw.rectangle((870, 100 + i * 100, 1030, 190 + i * 100), fill=(60 + 30 * i, 120, 90))
    buf = io.BytesIO()
    page.save(buf, "JPEG", quality=85)
    return buf.getvalue()


@pytest.mark.parametrize("when", [5.6, 18.2, 27.2])
def test_a_frame_on_a_page_is_named_to_the_frame(sabi, library, when):
    """The frame sits inside a page. Located for the embedding's frame, the box shifts with
    a moving picture, and inside it that frame correlated best (2-6 frames off here); every
    decoded frame fitted near the box at its own best spot, the captured one fits best."""
    t, rgb = frame_at(library / WEBM, when)
    answer = sabi.search(_on_a_page(rgb), exact=True).result[0]
    assert answer.filename == WEBM
    _same_or_within_a_frame(library / WEBM, answer.at, t)


def _middle(rgb: np.ndarray, edge: int = 7) -> bytes:
    """The frame less 1/``edge`` of it at every side, as a JPEG: by default the middle 5/7
    each way (half its area); with 18, the middle 8/9 (80 %)."""
    h, w = rgb.shape[:2]
    crop = np.ascontiguousarray(rgb[h // edge : h - h // edge, w // edge : w - w // edge])
    return screenshot(crop, width=480, quality=60, letterbox=False)


@pytest.mark.parametrize("when", [5.2, 13.6, 21.7])
def test_a_crop_is_named_to_the_frame(sabi, library, when):
    """A crop of a moving shot: the samples' boxes put it on a sample (sabi.search.lookalike),
    and the source's frames around that sample are fitted the same way, finer. Here the
    embedding's choice among them was 16 frames off (21.7 s), and the best 48x28 boxes alone
    7 and 19 frames off (5.2 s, 13.6 s)."""
    t, rgb = frame_at(library / WEBM, when)
    answer = sabi.search(_middle(rgb), exact=True).result[0]
    assert answer.filename == WEBM
    _same_or_within_a_frame(library / WEBM, answer.at, t)


@pytest.mark.parametrize("when", [2.0, 5.5, 9.0])
def test_a_crop_of_most_of_the_picture_is_named_to_the_frame(sabi, library, when):
    """A crop keeping most of a frame of the opening shot (fading in, the camera tilting
    down) correlates whole, over ``refine.SHARP``, with an earlier frame of the shot; a box of
    that frame fits it better still, so the source's frames are searched for boxes, as for a
    crop (0.46, 0.17 and 0.42 s off before)."""
    t, rgb = frame_at(library / WEBM, when)
    answer = sabi.search(_middle(rgb, 18), exact=True).result[0]
    assert answer.filename == WEBM
    _same_or_within_a_frame(library / WEBM, answer.at, t)


@pytest.mark.parametrize("when", [5.2, 9.7, 13.6])
def test_a_tilted_screenshot_is_named_to_the_frame(sabi, library, when):
    """Turned 3.5 degrees and cut to the box it fills: no box of a frame fits it until it is
    turned back (``refine.turned_back``), and then the frame it came from fits best (0.79,
    0.29 and 0.71 s off without turning)."""
    t, rgb = frame_at(library / WEBM, when)
    query = screenshot(straightened(rgb, 3.5), width=480, quality=60, letterbox=False)
    answer = sabi.search(query, exact=True).result[0]
    assert answer.filename == WEBM
    _same_or_within_a_frame(library / WEBM, answer.at, t)


@pytest.mark.parametrize("when", [4.2, 7.2])
def test_a_crop_that_also_fits_as_a_window_is_placed_as_a_crop(sabi, library, monkeypatch, when):
    """These crops also fit as a window around a smaller frame (0.93: sky and grass at their
    edges), but a box of a sample fits them better still (0.99). Placed as crops, ``exact``
    fits boxes of the source's frames instead of embedding them (1.1 and 1.5 s off before)."""
    placed: list[Scene] = []
    place = lookalike_module.lookalike
    monkeypatch.setattr(
        lookalike_module, "lookalike", lambda *args: placed.append(place(*args)) or placed[-1]
    )
    t, rgb = frame_at(library / WEBM, when)
    sampled = sabi.search(_middle(rgb), exact=False).result[0]
    assert sampled.filename == WEBM
    assert abs(sampled.at - t) <= 1.0, (t, sampled)
    assert placed[0].likeness == Likeness.CROP
    exact = sabi.search(_middle(rgb), exact=True).result[0]
    assert abs(exact.at - t) <= 0.5, (t, exact)


def test_a_mirrored_screenshot_is_named_to_the_frame(sabi, library):
    """Mirrored views are not searched by default, but the pixels are compared both ways."""
    t, rgb = frame_at(library / WEBM, 7.2)  # the embedding's choice was two frames off
    query = screenshot(np.ascontiguousarray(rgb[:, ::-1]), width=480, quality=60, letterbox=False)
    answer = sabi.search(query, exact=True).result[0]
    assert answer.filename == WEBM
    _same_or_within_a_frame(library / WEBM, answer.at, t)


def _scene_off_by(sabi, moment: float, likeness: Likeness) -> Scene:
    views = sabi.catalog.views(sabi.catalog.indexed_ids()).values()
    episode = next(v.id for v in views if v.filename == WEBM)
    return Scene(episode, moment, moment, moment, 0.9, likeness=likeness)


@pytest.mark.parametrize("when", [5.2, 21.7])
def test_a_crop_placed_over_a_second_off_is_still_named(sabi, library, when):
    """Samples' boxes place a crop of a pan less surely than a whole screenshot (a crop fits
    neighbouring samples alike), so more of the source is searched around it: a crop placed
    1.2 s (2.4 steps) after its frame is still named to the frame."""
    t, rgb = frame_at(library / WEBM, when)
    image = np.asarray(Image.open(io.BytesIO(_middle(rgb))).convert("RGB"))
    scene = _scene_off_by(sabi, t + 1.2, Likeness.CROP)
    answer = sabi.searcher.refiner.scene(scene, [image], library / WEBM)
    _same_or_within_a_frame(library / WEBM, answer.at, t)


def test_a_box_cut_from_the_query_placed_over_a_second_off_is_still_named(sabi, library):
    """A box cut from a page (``Match.contexts``) was placed by the vectors, not by the
    pixels: its frame 1.2 s before the scene's moment is still fitted and named."""
    t, rgb = frame_at(library / WEBM, 18.2)
    page = np.asarray(Image.open(io.BytesIO(_on_a_page(rgb))).convert("RGB"))
    box = Image.fromarray(page[60:590, 0:880]).resize((352, 212))  # the video's box, widened
    context = np.asarray(box)
    scene = _scene_off_by(sabi, t + 1.2, Likeness.UNSEEN)
    answer = sabi.searcher.refiner.scene(scene, [context], library / WEBM, context)
    _same_or_within_a_frame(library / WEBM, answer.at, t)
