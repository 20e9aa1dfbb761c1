"""The moment put on the sample that looks most like the query (sabi.search.lookalike): the
thumbnails kept for every sampled frame tell apart the samples that one kept vector stands for,
but only a query framed like the video moves the answer."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from test_sharpen import jpeg

from sabi.prepare.decode import SampledFrame
from sabi.prepare.thumbs import grey_thumbnail, record_thumbs
from sabi.search.cropfit import plateau_middle
from sabi.search.lookalike import ReadSamples, lookalike, lookalike_scenes
from sabi.search.scenes import Likeness, Scene

pytestmark = pytest.mark.fast

STEP = 0.5  # two samples a second, as indexed by default


def pan(samples: int = 8, width: int = 224, height: int = 126) -> list[SampledFrame]:
    """A pan sampled every STEP, each sample 6 pixels on from the last (under a pixel of a
    24x14 thumbnail)."""
    rng = np.random.default_rng(3)
    wide = width + 6 * samples
    coarse = rng.integers(0, 256, (height // 6, wide // 6, 3), np.uint8)
    scene = np.asarray(Image.fromarray(coarse).resize((wide, height), Image.Resampling.BICUBIC))
    return [SampledFrame(k * STEP, scene[:, 6 * k : 6 * k + width].copy()) for k in range(samples)]


def stored(frames: list[SampledFrame]) -> list[tuple[float, bytes]]:
    into: list[tuple[float, bytes]] = []
    passed = list(record_thumbs(frames, into))
    assert passed == frames  # the frames go on unchanged
    return into


def run_scene(at: float = 0.0, offset: float = 0.0) -> Scene:
    """A scene whose kept frame (0.0 s) stands for the whole pan, as if deduplicated."""
    return Scene(1, 0.0, at, 3.5, 0.95, offset=offset, held=3.5, kept=0.0)


def test_a_screenshot_lands_on_its_own_sample():
    frames = pan()
    samples = stored(frames)
    for k in (2, 5, 7):
        placed = lookalike(run_scene(), jpeg(frames[k].rgb), samples)
        assert placed.at == pytest.approx(k * STEP)
        assert placed.start <= placed.at <= placed.end


def test_a_mirrored_screenshot_lands_there_too():
    frames = pan()
    assert lookalike(run_scene(), frames[6].rgb[:, ::-1], stored(frames)).at == 3.0


def test_a_clip_frame_names_where_the_clip_starts():
    """A GIF's frame 1.5 s in that shows the 3.0 s sample: the clip starts at 1.5 s."""
    frames = pan()
    placed = lookalike(run_scene(at=-1.5, offset=1.5), frames[6].rgb, stored(frames))
    assert placed.at == pytest.approx(1.5)


def test_a_picture_from_elsewhere_keeps_the_moment_from_the_vectors():
    """Neither the whole picture nor any box of a sample fits it (a window, a photo)."""
    frames = pan()
    other = np.random.default_rng(9).integers(0, 256, (18, 32, 3), np.uint8)
    elsewhere = np.asarray(Image.fromarray(other).resize((224, 126), Image.Resampling.BICUBIC))
    assert lookalike(run_scene(at=1.0), elsewhere, stored(frames)) == run_scene(at=1.0)


def coarse_pan(samples: int = 9, width: int = 224, height: int = 126) -> list[SampledFrame]:
    """A pan of shapes large enough to show in a thumbnail, 12 pixels on each sample."""
    rng = np.random.default_rng(5)
    wide = width + 12 * samples
    cells = rng.integers(0, 256, (height // 21, wide // 21, 3), np.uint8)
    scene = np.asarray(Image.fromarray(cells).resize((wide, height), Image.Resampling.BICUBIC))
    return [
        SampledFrame(k * STEP, scene[:, 12 * k : 12 * k + width].copy()) for k in range(samples)
    ]


def crop(rgb: np.ndarray, share: float, fx: float = 0.5, fy: float = 0.5) -> np.ndarray:
    """``share`` of the frame's width and height, placed at (fx, fy) of the room left."""
    h, w = rgb.shape[:2]
    cw, ch = round(w * share), round(h * share)
    x, y = round((w - cw) * fx), round((h - ch) * fy)
    return np.ascontiguousarray(rgb[y : y + ch, x : x + cw])


@pytest.mark.parametrize("k", [3, 4, 5])
def test_a_crop_of_a_pan_lands_on_the_sample_it_was_cut_from(k):
    """Whole-picture thumbnails do not line up with a crop, and the vectors put every crop on
    the kept frame (0.0 s); a box of each sample does, and the crop of a pan is whole in the
    samples either side of its own, so the middle of those is taken."""
    frames = coarse_pan()
    placed = lookalike(run_scene(), jpeg(crop(frames[k].rgb, 0.7)), stored(frames))
    assert placed.at == pytest.approx(k * STEP)
    assert not placed.framed  # not a sample the query correlates with as a whole
    assert placed.start <= placed.at <= placed.end


def test_an_off_centre_crop_of_a_still_shot_lands_on_its_sample():
    """Frames that change in place (no pan): only the right sample holds the crop."""
    rng = np.random.default_rng(11)
    frames = [
        SampledFrame(k * STEP, np.asarray(Image.fromarray(c).resize((224, 126))))
        for k, c in enumerate(rng.integers(0, 256, (8, 6, 10, 3), np.uint8))
    ]
    query = crop(frames[6].rgb, 0.75, fx=0.1, fy=0.9)
    assert lookalike(run_scene(), query, stored(frames)).at == pytest.approx(3.0)


def window(rgb: np.ndarray) -> np.ndarray:
    """The frame inside a player's chrome: a title bar, a control bar, a margin each side."""
    h, w = rgb.shape[:2]
    out = np.full((h + 32, w + 16, 3), 60, np.uint8)
    out[:12] = 200  # title bar
    out[-20:] = 30  # control bar
    out[-12:-8, 30 : w - 30] = 220  # the seek bar
    out[12 : 12 + h, 8 : 8 + w] = rgb
    return out


@pytest.mark.parametrize("k", [2, 5, 7])
def test_a_player_window_lands_on_the_sample_inside_it(k):
    """The chrome keeps the whole thumbnail from lining up; a box of the window does."""
    frames = coarse_pan()
    placed = lookalike(run_scene(), jpeg(window(frames[k].rgb)), stored(frames))
    assert placed.at == pytest.approx(k * STEP)


def test_the_middle_of_the_run_of_near_equal_fits_is_taken():
    times = np.array([0.0, 0.5, 1.0, 2.0, 2.5, 3.0])  # a sample missing at 1.5 s
    scores = np.array([0.5, 0.997, 0.996, 1.0, 0.999, 0.7])
    assert plateau_middle(times, scores, 0.005) == 2  # 0.5-2.5 s: 1.5 is nearest 1.0 (first)
    assert plateau_middle(times, scores, 0.0) == 3  # the best alone
    assert plateau_middle(times, np.full(6, 0.95), 0.005) == 2  # 0-3 s: 1.5 is as near 1.0 as 2.0


def test_a_held_picture_keeps_the_sample_nearest_the_moment():
    still = pan()[3].rgb
    frames = [SampledFrame(k * STEP, still) for k in range(8)]
    assert lookalike(run_scene(at=1.5), jpeg(still), stored(frames)).at == 1.5


def test_thumbnails_of_another_size_are_ignored():
    frames = pan()
    other = [(f.time, grey_thumbnail(f.rgb, (32, 18)).tobytes()) for f in frames]
    assert lookalike(run_scene(at=1.0), frames[5].rgb, other) == run_scene(at=1.0)
    assert lookalike(run_scene(at=1.0), frames[5].rgb, []) == run_scene(at=1.0)


def test_only_scenes_near_the_best_are_read_within_their_span():
    frames = pan()
    samples = stored(frames)
    reads: list[tuple[int, float, float]] = []

    def read(episode: int, lo: float, hi: float) -> list[tuple[float, bytes]]:
        reads.append((episode, lo, hi))
        return [(t, b) for t, b in samples if lo <= t <= hi]

    best = run_scene()
    near = Scene(2, 10.0, 10.0, 11.0, 0.92, held=0.5, kept=10.0)
    far = Scene(3, 0.0, 0.0, 1.0, 0.5)
    out = lookalike_scenes([best, near, far], [frames[4].rgb], read, STEP)
    assert out[0].at == 2.0 and out[2] == far
    assert [r[0] for r in reads] == [1, 2]
    episode, lo, hi = reads[0]
    assert lo == pytest.approx(-STEP, abs=0.01) and hi == pytest.approx(3.5 + STEP, abs=0.01)


def catalogue(shows: dict[int, list[tuple[float, bytes]]]) -> ReadSamples:
    """Reads each episode's stored samples between two times, as ``Catalog.samples`` does."""

    def read(episode: int, lo: float, hi: float) -> list[tuple[float, bytes]]:
        return [(t, b) for t, b in shows[episode] if lo <= t <= hi]

    return read


def test_of_near_equal_answers_the_one_whose_samples_line_up_comes_first():
    """A crop's vector can sit nearer another episode's frame; of the answers near the best,
    the one whose samples hold the crop is put first, and one that is far below is not."""
    frames = coarse_pan()
    elsewhere = [
        SampledFrame(k * STEP, np.asarray(Image.fromarray(c).resize((224, 126))))
        for k, c in enumerate(np.random.default_rng(4).integers(0, 256, (8, 6, 10, 3), np.uint8))
    ]
    read = catalogue({1: stored(elsewhere), 2: stored(frames), 3: stored(frames)})

    wrong = Scene(1, 0.0, 1.0, 3.5, 0.86, held=3.5, kept=0.0)
    right = Scene(2, 0.0, 0.0, 3.5, 0.84, held=3.5, kept=0.0)
    far = Scene(3, 0.0, 0.0, 3.5, 0.7, held=3.5, kept=0.0)  # would fit too, but is not read
    out = lookalike_scenes([wrong, right, far], [jpeg(crop(frames[4].rgb, 0.7))], read, STEP)
    assert [sc.episode_id for sc in out] == [2, 1, 3]
    assert out[0].likeness is Likeness.CROP and out[0].at == pytest.approx(2.0)
    assert out[1] == wrong and out[2] == far


def test_of_near_equal_crops_the_one_that_fits_best_comes_first():
    """Two episodes drawn alike both hold the crop more or less; the closer fit is first."""
    frames = coarse_pan()
    noise = np.random.default_rng(6).normal(0, 40, frames[0].rgb.shape)
    alike = [SampledFrame(f.time, np.clip(f.rgb + noise, 0, 255).astype(np.uint8)) for f in frames]
    read = catalogue({1: stored(alike), 2: stored(frames)})

    first = Scene(1, 0.0, 1.0, 3.5, 0.86, held=3.5, kept=0.0)
    second = Scene(2, 0.0, 0.0, 3.5, 0.84, held=3.5, kept=0.0)
    out = lookalike_scenes([first, second], [jpeg(crop(frames[4].rgb, 0.7))], read, STEP)
    assert [sc.likeness for sc in out] == [Likeness.CROP, Likeness.CROP]
    assert [sc.episode_id for sc in out] == [2, 1]
    assert out[0].fit > out[1].fit
