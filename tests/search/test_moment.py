"""Placing a scene's moment between stored samples (sabi.search.moment), on vectors made to
stand in a known geometry: a slow pan is a path from one frame's vector to the next."""

from __future__ import annotations

import numpy as np
import pytest

from sabi.search.moment import Frames, place, toward
from sabi.search.scenes import Scene

STEP = 0.5
DIM = 64


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x)


@pytest.fixture
def basis() -> np.ndarray:
    """Orthonormal directions: frames mixed from them have known similarities."""
    q, _ = np.linalg.qr(np.random.default_rng(3).standard_normal((DIM, 8)))
    return q.T.astype(np.float32)


def pan(basis: np.ndarray) -> Frames:
    """Kept frames at 0.0 (a run to 1.5 s), 2.0 and 2.5: each a step along a pan."""
    a, b, c, d = basis[0], basis[1], basis[2], basis[3]
    vectors = np.stack([unit(a + 0.3 * b), unit(b + 0.3 * a + 0.3 * c), unit(c + 0.3 * b), d])
    return Frames(
        vectors.astype(np.float32),
        np.array([0.0, 2.0, 2.5, 10.0], np.float32),
        np.array([1.5, 2.0, 2.5, 10.0], np.float32),
    )


def scene_at(t: float, held: float = 0.0) -> Scene:
    return Scene(1, start=t, at=t, end=t + held, similarity=0.9, held=held, kept=t)


def test_share_of_a_mix_is_its_weight_whatever_the_edit_scales(basis):
    kept, other = unit(basis[0] + 0.2 * basis[1]), unit(basis[1] + 0.2 * basis[0])
    query = 0.7 * kept + 0.3 * other
    assert toward(query, kept, other) == pytest.approx(0.3, abs=1e-6)
    # an edit that lowers every similarity alike (and adds an unrelated part) does not move it
    assert toward(0.5 * query + 0.4 * basis[5], kept, other) == pytest.approx(0.3, abs=1e-6)
    # the far side of the kept frame reads negative; an identical neighbour says nothing
    assert toward(1.2 * kept - 0.2 * other, kept, other) < 0
    assert toward(query, kept, kept.copy()) == 0.0


def test_the_moment_moves_towards_the_neighbour_the_query_is_drifting_to(basis):
    frames = pan(basis)
    query = unit(0.65 * frames.vectors[1] + 0.35 * frames.vectors[2])
    placed = place(scene_at(2.0), query[None, :], frames, STEP)
    assert placed.at == pytest.approx(2.0 + 0.35 * 0.5, abs=0.01)
    assert placed.start <= placed.at <= placed.end  # the range holds the moment
    # backwards: towards the kept frame before, from its own time (start of its run)
    query = unit(0.7 * frames.vectors[1] + 0.3 * frames.vectors[0])
    assert place(scene_at(2.0), query[None, :], frames, STEP).at == pytest.approx(1.4, abs=0.02)


def test_never_past_halfway_and_the_mirrored_view_is_used_when_it_matched(basis):
    frames = pan(basis)
    query = unit(0.45 * frames.vectors[1] + 0.55 * frames.vectors[2])
    assert place(scene_at(2.0), query[None, :], frames, STEP).at == pytest.approx(2.25, abs=1e-3)
    views = np.stack([basis[6], unit(0.65 * frames.vectors[1] + 0.35 * frames.vectors[2])])
    assert place(scene_at(2.0), views, frames, STEP).at > 2.1


def test_no_move_without_clear_evidence(basis):
    frames = pan(basis)
    # drawn both ways: off the line between the samples (a pose, an edit)
    both = unit(frames.vectors[1] + 0.3 * frames.vectors[0] + 0.3 * frames.vectors[2])
    assert place(scene_at(2.0), both[None, :], frames, STEP).at == 2.0
    # the frame after the last kept one is across a cut (not the next sample): stays
    query = unit(0.7 * frames.vectors[2] + 0.3 * frames.vectors[3])
    assert place(scene_at(2.5), query[None, :], frames, STEP).at == 2.5
    # a kept frame the store does not have (removed meanwhile): unchanged
    assert place(scene_at(7.0), query[None, :], frames, STEP) == scene_at(7.0)


def test_clip_frames_keep_their_offset(basis):
    """A clip's scene is aligned to the clip's start: the move applies to the kept frame's time
    and the offset is taken off again."""
    frames = pan(basis)
    query = unit(0.65 * frames.vectors[1] + 0.35 * frames.vectors[2])
    scene = Scene(1, start=2.0, at=1.0, end=2.0, similarity=0.9, offset=1.0, kept=2.0)
    assert place(scene, query[None, :], frames, STEP).at == pytest.approx(1.175, abs=0.01)
