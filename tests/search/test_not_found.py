"""A scene that is not in the library is said to be so, instead of a confident wrong answer."""

from __future__ import annotations

import numpy as np
import pytest
from media import frame_at, make_video, screenshot
from PIL import Image

from sabi.app import Sabi
from sabi.search.scenes import Likeness, Scene
from sabi.search.verdict import Bar, clear_answer

BAR = Bar(similarity=0.77, margin=0.06, framed_similarity=0.7, unaligned_margin=0.1)


@pytest.fixture(scope="module")
def unindexed(tmp_path_factory, shared_media):
    """Frames of videos the shared library does not hold: a second of the same film (the hard
    case: same style, another scene) and a synthetic source of another kind."""
    other = make_video(tmp_path_factory.mktemp("other") / "Other.mp4", "life", seconds=4)
    return [
        frame_at(shared_media / "big_buck_bunny_432_433.webm", 0.5)[1],
        frame_at(other, 2.0)[1],
    ]


def test_unindexed_scene_is_not_found_but_closest_are_listed(sabi_lib, unindexed):
    for rgb in unindexed:
        response = sabi_lib.search(screenshot(rgb))
        assert response.result, "the closest scenes are still listed"
        assert not response.found
        assert response.result[0].similarity < sabi_lib.settings.min_similarity
        assert response.as_json()["found"] is False


def test_indexed_scene_is_found(sabi_lib, shared_media):
    t, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 8.0)
    response = sabi_lib.search(screenshot(rgb, width=640, quality=40))
    assert response.found
    assert response.result[0].filename == "big_buck_bunny_0_30.webm"


def test_threshold_is_the_setting(library, shared_media):
    """The same answer flips with the threshold: ``found`` is the setting applied, nothing else."""
    _, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 8.0)
    query = screenshot(rgb)
    strict = {"min_similarity": 1.0, "min_similarity_framed": 1.0}
    with Sabi.open(data_dir=library, create=False, **strict) as sabi:
        assert not sabi.search(query).found
    with Sabi.open(data_dir=library, create=False, min_similarity=0.0) as lax:
        assert lax.search(query).found


def test_empty_index_answer_is_not_found(tmp_path):
    with Sabi.open(data_dir=tmp_path) as sabi:
        sabi.catalog.bind_descriptor(sabi.embedder.name, sabi.embedder.dim)
        noise = np.random.default_rng(0).integers(0, 255, (180, 320, 3), dtype=np.uint8)
        response = sabi.search(screenshot(noise))
    assert response.result == [] and not response.found


def _scene(episode_id: int, similarity: float, likeness: Likeness = Likeness.CROP) -> Scene:
    return Scene(episode_id, start=0.0, at=0.0, end=1.0, similarity=similarity, likeness=likeness)


def test_a_best_scene_without_a_margin_over_other_episodes_is_not_found():
    """A frame of an unindexed episode looks about as much like several indexed ones (same
    locations, same art); a right answer stands out from the next episode's best scene."""
    close = [_scene(1, 0.85), _scene(1, 0.80), _scene(2, 0.82)]  # same episode first: skipped
    clear = [_scene(1, 0.85), _scene(2, 0.60)]
    assert not clear_answer(close, BAR)
    assert clear_answer(clear, BAR)
    assert not clear_answer(clear, Bar(0.9, 0.0, 0.9, 0.0))
    assert clear_answer([_scene(3, 0.8)], BAR)  # nothing else near
    assert not clear_answer([], Bar(0.0, 0.0, 0.0, 0.0))
    # the runner-up may be among the scenes grouped before the answer was cut to its limit
    assert not clear_answer(clear, BAR, others=[_scene(1, 0.85), _scene(4, 0.83)])


def test_the_bar_depends_on_how_the_pixels_lined_up():
    """A scene framed like the query is borne out by its pixels: a lower similarity and no
    margin do. One that nothing lined up with has only its vector: a wider margin is asked."""
    framed = [_scene(1, 0.72, Likeness.FRAMED), _scene(2, 0.71)]
    assert clear_answer(framed, BAR)
    assert not clear_answer([_scene(1, 0.72, Likeness.CROP), _scene(2, 0.5)], BAR)
    assert not clear_answer([_scene(1, 0.68, Likeness.FRAMED)], BAR)
    # framed, but put first over another episode's more similar scene: not clear
    assert not clear_answer(framed, BAR, others=[_scene(2, 0.75)])
    for likeness in (Likeness.CROP, Likeness.WINDOW):
        assert clear_answer([_scene(1, 0.85, likeness), _scene(2, 0.77)], BAR)
    assert not clear_answer([_scene(1, 0.85, Likeness.UNSEEN), _scene(2, 0.77)], BAR)
    assert clear_answer([_scene(1, 0.85, Likeness.UNSEEN), _scene(2, 0.74)], BAR)


def test_a_tinted_screenshot_lined_up_with_its_frame_is_found(library, shared_media):
    """A heavy colour cast takes the vector's similarity below min_similarity, but the
    screenshot still lines up with the sampled frame pixel by pixel: found, by the framed bar
    (the setting: at min_similarity it is not)."""
    _, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 14.0)
    cast = Image.blend(
        Image.fromarray(rgb), Image.new("RGB", (rgb.shape[1], rgb.shape[0]), (255, 120, 0)), 0.55
    )
    query = screenshot(np.asarray(cast), quality=80)
    with Sabi.open(data_dir=library, create=False) as sabi:
        answer = sabi.search(query)
        assert answer.result[0].filename == "big_buck_bunny_0_30.webm"
        assert answer.result[0].similarity < sabi.settings.min_similarity
        assert answer.found
    with Sabi.open(data_dir=library, create=False, min_similarity_framed=0.77) as strict:
        assert not strict.search(query).found


def test_margin_is_the_setting(library, shared_media):
    """A crop lines up with a box of its frame, not with the whole frame: the margin asked."""
    _, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 8.0)
    h, w = rgb.shape[:2]
    query = screenshot(rgb[h // 8 : h - h // 8, w // 8 : w - w // 8], letterbox=False, quality=80)
    with Sabi.open(data_dir=library, create=False, min_margin=1.0) as strict:
        assert not strict.search(query).found
    with Sabi.open(data_dir=library, create=False, min_margin=0.0) as lax:
        assert lax.search(query, limit=1).found
