"""Place a scene's moment between sampled frames, from the stored vectors around it.

The index keeps ``rate`` frames a second, and deduplication keeps one for a run of
near-identical neighbours, so the best hit's kept frame can be a step or more from the query's
moment in a moving shot (a slow pan is the worst case: one kept frame for two seconds). The
stored neighbours say which way the moment lies and how far: the query's vector is fitted as a
mix of the kept frame's vector and each adjacent sample's (least squares, so an edit that lowers
every similarity alike does not move the answer). A positive share of one neighbour and none of
the other moves ``at`` that share of the way towards the neighbour's time, never more than
halfway (the kept frame is the nearer one: it matched best). Evidence both ways means the query
is off the line between the samples (a character's pose, a heavy edit) and the kept frame
stays; so does a neighbour across a cut (not adjacent), or one too alike to tell (a held shot:
any moment of it shows the same picture).

Chosen on the tuning split of the accuracy benchmark against "kept frame" and against fitting
a tent or a parabola to the similarities alone (those moved held and posed frames the wrong
way): bench/results/accuracy.md has the result on the report split.

What it costs: one read of the few stored frames around each scene that is placed (the
embedded store maps them from the episode's segment file; Milvus answers one filtered query),
and a few dot products. Only the best scene and those within NEAR of it are placed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sabi.search.scenes import Scene, near_best
from sabi.store.base import VectorStore

SAME = 0.995  # a neighbour at least this similar to the kept frame carries no direction
NEAR = 0.05  # scenes this close to the best one's similarity are placed too
ADJACENT = 1.5  # a neighbour within this many sampling steps of the run is the next sample


@dataclass(frozen=True)
class Frames:
    """Stored frames of one episode in time order (``VectorStore.around``)."""

    vectors: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


def toward(query: np.ndarray, kept: np.ndarray, other: np.ndarray) -> float:
    """How far ``query`` lies from ``kept`` towards ``other``: fitted as ``a*kept + b*other``,
    the share b / (a + b); negative on the far side of ``kept``, 0 when the two are too alike
    to tell."""
    sk, so, c = float(query @ kept), float(query @ other), float(kept @ other)
    kk, oo = float(kept @ kept), float(other @ other)
    det = kk * oo - c * c
    if c >= SAME * np.sqrt(kk * oo) or det <= 1e-9:
        return 0.0
    a = (oo * sk - c * so) / det
    b = (kk * so - c * sk) / det
    return b / (a + b) if a + b > 0 else 0.0


def place(scene: Scene, views: np.ndarray, frames: Frames, step: float) -> Scene:
    """``scene`` with ``at`` moved towards the neighbour the query lies towards; unchanged
    without clear evidence. ``views``: the query image's vectors (one row per view searched:
    the image, its mirror image); the one nearer the kept frame is the one that matched."""
    kept = scene.kept_time
    rows = np.flatnonzero(np.abs(frames.starts - kept) < 1e-3)
    if not len(rows):
        return scene
    i = int(rows[0])
    here = frames.vectors[i]
    query = views[int(np.argmax(views @ here))]
    shares: dict[int, float] = {}
    if i + 1 < len(frames.starts) and frames.starts[i + 1] - frames.ends[i] <= ADJACENT * step:
        shares[i + 1] = toward(query, here, frames.vectors[i + 1])
    if i > 0 and kept - frames.ends[i - 1] <= ADJACENT * step:
        shares[i - 1] = toward(query, here, frames.vectors[i - 1])
    ahead = [k for k, share in shares.items() if share > 0]
    if len(ahead) != 1:
        return scene
    k = ahead[0]
    return scene.moved_to(kept + min(shares[k], 0.5) * (float(frames.starts[k]) - kept))


def place_scenes(
    scenes: list[Scene],
    vectors: Sequence[np.ndarray],
    store: VectorStore,
    step: float,
    longest_run: float,
) -> list[Scene]:
    """``scenes`` with the best and those within NEAR of it placed. ``vectors[j]``: the views
    of query image j (``Scene.frame``); ``longest_run``: how long one kept frame may stand
    for (``dedupe_max_span``), so the read reaches the previous sample's start."""

    def one(scene: Scene) -> Scene:
        if scene.frame >= len(vectors):
            return scene
        kept = scene.kept_time
        lo = kept - longest_run - 2 * step
        hi = kept + scene.held + 2 * step
        frames = Frames(*store.around(scene.episode_id, lo, hi))
        return place(scene, vectors[scene.frame], frames, step)

    return near_best(scenes, NEAR, one)
