"""Merge nearest-frame hits into scenes: one episode, a time range, a score.

Hits are taken best first. A hit within ``gap`` seconds of an existing scene of its episode
belongs to that scene; it widens the scene's time range only if it is nearly as good as the
scene's best hit (within MARGIN), so a long run of mediocre neighbours does not stretch a
precise match into the whole episode. Otherwise it starts a new scene.

For a GIF or video query, each query frame's hits are first shifted back by that frame's offset
in the clip, so all frames vote for the same start time. A scene's score is the mean, over the
query's frames, of the best similarity each frame found in it (0 when it found none): a clip
whose every frame matches beats one lucky frame. For a single image that is simply the best
frame's similarity.

A scene's ``at`` is the time of its best-scoring hit, the kept frame's own time shifted back by
its query frame's offset: the sampled frame that looks most like the query, not the middle of
the run (a run can span a whole held shot, and its middle is then seconds away). ``from``/``to``
stay the whole run, honestly: a held shot answers a range. ``sabi.search.moment`` then places
``at`` between the kept frame and its stored neighbours, and ``sabi.search.refine`` can narrow
it to the exact frame where the source video is at hand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum

from sabi.store.base import Hit

MARGIN = 0.05


class Likeness(IntEnum):
    """What a scene's sampled thumbnails say of the query, pixel by pixel (set by
    ``sabi.search.lookalike``), weakest first."""

    UNSEEN = 0  # not compared, or nothing lined up
    CROP = 1  # a box of a sample fits the query: a crop
    WINDOW = 2  # a box of the query fits a whole sample: a player window, a page
    FRAMED = 3  # the whole query correlates with a whole sample: framed like the video


@dataclass(frozen=True)
class Scene:
    episode_id: int
    start: float  # "from": start of the first good frame's span (episode time)
    at: float  # the best hit's kept-frame time, shifted to where the query starts
    end: float  # "to": end of the last good frame's span
    similarity: float
    frame: int = 0  # which query frame made the best hit (for refining ``at``)
    offset: float = 0.0  # that frame's time in the query clip (s)
    held: float = 0.0  # how long the best hit's kept frame stands for (its deduplicated run, s)
    kept: float | None = None  # that kept frame's own time (episode time); None: at + offset
    likeness: Likeness = Likeness.UNSEEN  # how ``at`` was put on a sample, if it was
    fit: float = 0.0  # ... and the best correlation that bore it out

    @property
    def moment(self) -> float:
        """Where ``at`` puts the matched query frame, in episode time (``at`` is shifted back by
        that frame's offset in the clip)."""
        return self.at + self.offset

    @property
    def framed(self) -> bool:
        """``at`` is a sample the whole query correlates with pixel by pixel."""
        return self.likeness is Likeness.FRAMED

    @property
    def kept_time(self) -> float:
        """The best hit's kept frame's time in the episode, whatever ``at`` became since."""
        return self.moment if self.kept is None else self.kept

    def moved_to(self, moment: float) -> Scene:
        """This scene with its moment at ``moment`` (episode time, where its query frame
        shows): ``at`` shifted back by that frame's offset in the clip, ``from``-``to``
        widened to hold it."""
        return replace(
            self,
            at=max(0.0, moment - self.offset),
            start=min(self.start, moment),
            end=max(self.end, moment),
        )


def near_best(scenes: list[Scene], near: float, change: Callable[[Scene], Scene]) -> list[Scene]:
    """``scenes`` with ``change`` applied to the best and those within ``near`` of its
    similarity: the answers worth a closer look at their moment."""
    if not scenes:
        return scenes
    top = scenes[0].similarity
    return [change(sc) if sc.similarity >= top - near else sc for sc in scenes]


@dataclass
class _Cluster:
    best: float
    at: float
    frame: int
    offset: float
    held: float
    lo: float  # aligned range used for membership
    hi: float
    start: float
    end: float
    per_frame: dict[int, float] = field(default_factory=dict)


def group_scenes(
    hits_per_frame: Sequence[Sequence[Hit]], offsets: Sequence[float], gap: float
) -> list[Scene]:
    entries = [
        (hit.score, hit.start - offset, j, offset, hit)
        for j, (hits, offset) in enumerate(zip(hits_per_frame, offsets, strict=True))
        for hit in hits
    ]
    entries.sort(key=lambda e: e[0], reverse=True)
    clusters: dict[int, list[_Cluster]] = defaultdict(list)
    for score, aligned, j, offset, hit in entries:
        span = hit.end - hit.start
        for c in clusters[hit.episode_id]:
            if c.lo - gap <= aligned <= c.hi + gap:
                c.per_frame[j] = max(c.per_frame.get(j, -1.0), score)
                if score >= c.best - MARGIN:
                    c.lo, c.hi = min(c.lo, aligned), max(c.hi, aligned + span)
                    c.start, c.end = min(c.start, hit.start), max(c.end, hit.end)
                break
        else:
            # The first (best) hit of a scene names its moment: the kept frame that looks most
            # like the query. In a moving shot that is within a sampling step; in a held shot
            # the moment may be anywhere in the frame's run (from-to says so), which only the
            # source video can settle (sabi.search.refine).
            clusters[hit.episode_id].append(
                _Cluster(
                    score,
                    aligned,
                    j,
                    offset,
                    span,
                    aligned,
                    aligned + span,
                    hit.start,
                    hit.end,
                    {j: score},
                )
            )
    frames = max(1, len(hits_per_frame))
    scenes = [
        Scene(
            episode_id,
            start=c.start,
            at=max(0.0, c.at),
            end=c.end,
            similarity=max(0.0, min(1.0, sum(c.per_frame.values()) / frames)),
            frame=c.frame,
            offset=c.offset,
            held=c.held,
            kept=c.at + c.offset,
        )
        for episode_id, cs in clusters.items()
        for c in cs
    ]
    scenes.sort(key=lambda s: s.similarity, reverse=True)
    return scenes


def merge_scenes(groups: Sequence[Sequence[Scene]], gap: float, limit: int) -> list[Scene]:
    """The best ``limit`` of the union of scene lists (e.g. query and mirrored query); where two
    overlap in one episode, the better one stands."""
    merged: list[Scene] = []
    for scene in sorted((s for g in groups for s in g), key=lambda s: s.similarity, reverse=True):
        if len(merged) >= limit:
            break
        if not any(
            m.episode_id == scene.episode_id
            and scene.start <= m.end + gap
            and m.start <= scene.end + gap
            for m in merged
        ):
            merged.append(scene)
    return merged
