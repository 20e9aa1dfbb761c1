"""Grouping nearest frames into scenes."""

from __future__ import annotations

import pytest

from sabi.search.scenes import Scene, group_scenes, merge_scenes, near_best
from sabi.store.base import Hit

pytestmark = pytest.mark.fast


def test_precise_match_is_not_stretched_by_weak_neighbours():
    hits = [Hit(1, 10.0, 10.5, 0.95), Hit(1, 11.0, 11.0, 0.93)]
    hits += [Hit(1, 10.0 + d, 10.0 + d, 0.6) for d in (-4, -3, 3, 4)]
    (scene,) = group_scenes([hits], [0.0], gap=5.0)
    assert (scene.start, scene.at, scene.end) == (10.0, 10.0, 11.0)  # at: the best kept frame
    assert scene.similarity == pytest.approx(0.95)


def test_at_is_the_best_sampled_frame_not_the_middle_of_a_held_run():
    # A held shot: the kept frame at 20 s stands for 20-24 s, and a slightly weaker hit at
    # 24 s extends the run. The best frame names the moment; from-to is the whole run.
    hits = [Hit(1, 20.0, 24.0, 0.96), Hit(1, 24.0, 25.5, 0.94)]
    (scene,) = group_scenes([hits], [0.0], gap=5.0)
    assert scene.at == 20.0
    assert (scene.start, scene.end) == (20.0, 25.5)


def test_far_apart_hits_are_separate_scenes_and_sorted():
    hits = [Hit(1, 10.0, 10.0, 0.7), Hit(1, 100.0, 100.0, 0.9), Hit(2, 10.0, 10.0, 0.8)]
    scenes = group_scenes([hits], [0.0], gap=5.0)
    assert [(s.episode_id, s.at) for s in scenes] == [(1, 100.0), (2, 10.0), (1, 10.0)]


def test_clip_frames_vote_for_one_start():
    # A 3-frame clip taken at offsets 0, 1, 2 s; the episode has it at 50 s.
    per_frame = [
        [Hit(1, 50.0, 50.0, 0.9), Hit(2, 5.0, 5.0, 0.95)],  # frame 0: a lucky wrong hit wins
        [Hit(1, 51.0, 51.0, 0.9)],
        [Hit(1, 52.0, 52.0, 0.88)],
    ]
    scenes = group_scenes(per_frame, [0.0, 1.0, 2.0], gap=2.0)
    assert scenes[0].episode_id == 1 and scenes[0].at == 50.0
    assert (scenes[0].frame, scenes[0].offset) == (0, 0.0)
    assert scenes[0].similarity == pytest.approx((0.9 + 0.9 + 0.88) / 3)
    assert scenes[1].episode_id == 2 and scenes[1].similarity == pytest.approx(0.95 / 3)


def test_clip_at_comes_from_the_best_scoring_frame_aligned():
    # The second query frame (offset 1 s) matches best, at 51.5 s: the clip starts at 50.5 s,
    # whatever the weaker frames' kept frames say.
    per_frame = [[Hit(1, 50.0, 50.0, 0.8)], [Hit(1, 51.5, 53.0, 0.97)], [Hit(1, 52.0, 52.0, 0.85)]]
    (scene,) = group_scenes(per_frame, [0.0, 1.0, 2.0], gap=2.0)
    assert scene.at == 50.5
    assert (scene.frame, scene.offset) == (1, 1.0)
    assert (scene.start, scene.end) == (51.5, 53.0)


def test_merge_keeps_the_better_of_overlapping_scenes():
    a = [Scene(1, 10.0, 10.0, 11.0, 0.5), Scene(2, 0.0, 0.0, 1.0, 0.4)]
    b = [Scene(1, 10.5, 10.5, 12.0, 0.9)]
    merged = merge_scenes([a, b], gap=1.0, limit=10)
    assert [(m.episode_id, m.similarity) for m in merged] == [(1, 0.9), (2, 0.4)]
    assert len(merge_scenes([a, b], gap=1.0, limit=1)) == 1


def test_moving_a_scene_keeps_its_range_around_the_moment():
    clip = Scene(1, 10.0, 9.0, 12.0, 0.9, offset=1.0)  # a clip whose frame 1 s in matched 10 s
    moved = clip.moved_to(13.0)
    assert (moved.start, moved.at, moved.end) == (10.0, 12.0, 13.0)
    assert Scene(1, 0.0, 0.0, 1.0, 0.9, offset=0.5).moved_to(0.2).at == 0.0  # never before 0


def test_only_scenes_near_the_best_are_changed():
    scenes = [Scene(1, 0, 0, 1, 0.9), Scene(2, 0, 0, 1, 0.86), Scene(3, 0, 0, 1, 0.8)]
    out = near_best(scenes, 0.05, lambda sc: sc.moved_to(0.5))
    assert [sc.at for sc in out] == [0.5, 0.5, 0]
    assert near_best([], 0.05, lambda sc: sc.moved_to(0.5)) == []
