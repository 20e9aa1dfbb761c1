"""A scene that is not in the library is said to be so, instead of a confident wrong answer."""

from __future__ import annotations

import numpy as np
import pytest
from media import frame_at, make_video, screenshot

from sabi.app import Sabi
from sabi.search.scenes import Scene
from sabi.search.searcher import clear_answer


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
    with Sabi.open(data_dir=library, create=False, min_similarity=1.0) as strict:
        assert not strict.search(query).found
    with Sabi.open(data_dir=library, create=False, min_similarity=0.0) as lax:
        assert lax.search(query).found


def test_empty_index_answer_is_not_found(tmp_path):
    with Sabi.open(data_dir=tmp_path) as sabi:
        sabi.catalog.bind_descriptor(sabi.embedder.name, sabi.embedder.dim)
        noise = np.random.default_rng(0).integers(0, 255, (180, 320, 3), dtype=np.uint8)
        response = sabi.search(screenshot(noise))
    assert response.result == [] and not response.found


def _scene(episode_id: int, similarity: float) -> Scene:
    return Scene(episode_id, start=0.0, at=0.0, end=1.0, similarity=similarity)


def test_a_best_scene_without_a_margin_over_other_episodes_is_not_found():
    """A frame of an unindexed episode looks about as much like several indexed ones (same
    locations, same art); a right answer stands out from the next episode's best scene."""
    close = [_scene(1, 0.85), _scene(1, 0.80), _scene(2, 0.82)]  # same episode first: skipped
    clear = [_scene(1, 0.85), _scene(2, 0.60)]
    assert not clear_answer(close, min_similarity=0.77, min_margin=0.06)
    assert clear_answer(clear, min_similarity=0.77, min_margin=0.06)
    assert not clear_answer(clear, min_similarity=0.9, min_margin=0.0)
    assert clear_answer([_scene(3, 0.8)], min_similarity=0.77, min_margin=0.06)  # nothing else near
    assert not clear_answer([], min_similarity=0.0, min_margin=0.0)


def test_margin_is_the_setting(library, shared_media):
    _, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 8.0)
    query = screenshot(rgb)
    with Sabi.open(data_dir=library, create=False, min_margin=1.0) as strict:
        assert not strict.search(query).found
    with Sabi.open(data_dir=library, create=False, min_margin=0.0) as lax:
        assert lax.search(query, limit=1).found
