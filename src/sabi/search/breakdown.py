"""Break a whole clip (an AMV, a compilation) into its shots and find where each comes from.

The clip is decoded once, a few frames a second, and fed to the indexer's cut detector as it
comes; a finished shot keeps only the few frames it is searched with, prepared, so memory
grows by about 0.7 MB a shot (up to ``max_shots_seconds`` of clip). Shots shorter than MIN_SHOT
are flashes, not scenes, and are dropped. Each remaining shot is a small video query of up to
FRAMES_PER_SHOT frames whose hits vote together (``group_scenes`` with the frames' offsets); all
shots' frames are described ``batch_size`` at a time and searched in one store call. Consecutive shots that land in one episode at contiguous
times are one shot the cut detector split (a flash, a fast pan) and are merged back.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

from sabi.errors import BadInput
from sabi.prepare.budget import Cancel, DecodeBudget
from sabi.prepare.formats import image_formats, video_format
from sabi.prepare.query import QueryFrame, prepare_query_frames, shrink
from sabi.prepare.query_video import video_frames
from sabi.prepare.shots import ShotDetector
from sabi.search.models import SceneResult, ShotOut, ShotsResponse
from sabi.search.scenes import Scene, group_scenes, merge_scenes
from sabi.search.searcher import Filters, Scope, Searcher, scene_result
from sabi.settings import Settings
from sabi.store.base import Hit

SAMPLE_EVERY = 0.25  # seconds between the frames the cut detector sees (4 a second)
MIN_SHOT = 0.4  # shots shorter than this (s) are flashes: dropped
FRAMES_PER_SHOT = 4  # frames searched per shot, evenly spaced
KEEP_PER_SHOT = 4 * FRAMES_PER_SHOT  # frames held of the shot being read (thinned by halving)
CONTIGUOUS = 1.5  # a next shot this close (s) to where its episode run would be continues it


@dataclass
class Shot:
    start: float
    end: float = 0.0
    frames: list[QueryFrame] = field(default_factory=list)

    def add(self, t: float, rgb: np.ndarray) -> None:
        self.end = t
        self.frames.append(QueryFrame(t - self.start, rgb))
        if len(self.frames) > KEEP_PER_SHOT:
            del self.frames[1::2]

    def close(self, end: float) -> None:
        """The shot ends where the next starts; keep only the frames to be searched, spread
        over its middle (the frames at a cut may be half a dissolve)."""
        self.end = end
        n = len(self.frames)
        k = min(n, FRAMES_PER_SHOT)
        picks = sorted({min(n - 1, int((i + 0.5) * n / k)) for i in range(k)})
        self.frames = [self.frames[i] for i in picks]


Prepare = Callable[[list[QueryFrame]], list[QueryFrame]]


class _Cutter:
    """The decoder's sink: splits the frames into shots as they come. A finished shot keeps
    only its searched frames, already prepared (borders cut, index width): a 10-minute clip of
    2-second shots holds about 200 MB of them."""

    def __init__(self, width: int, prepare: Prepare):
        self.width = width
        self.prepare = prepare
        self.detector = ShotDetector()
        self.shots: list[Shot] = []
        self.last = 0.0

    def __call__(self, t: float, rgb: np.ndarray) -> None:
        rgb = shrink(rgb, self.width)
        if self.detector.feed(rgb) or not self.shots:
            if self.shots:
                self._close(t)
            self.shots.append(Shot(0.0 if not self.shots else t))
        self.shots[-1].add(t, rgb)
        self.last = t

    def _close(self, end: float) -> None:
        shot = self.shots[-1]
        shot.close(end)
        # a flash is dropped: nothing of it is kept
        shot.frames = self.prepare(shot.frames) if end - shot.start >= MIN_SHOT else []

    def finish(self) -> list[Shot]:
        if self.shots:
            self._close(self.last + SAMPLE_EVERY)
        return [s for s in self.shots if s.end - s.start >= MIN_SHOT]


def cut_into_shots(
    searcher: Searcher,
    data: bytes,
    max_seconds: float,
    cut_borders: bool | None = None,
    cancel: Cancel | None = None,
    deadline: float | None = None,
) -> list[Shot]:
    """The clip's shots (flashes dropped), each with a few prepared frames. A breakdown may decode
    ``max_seconds / max_query_seconds`` times what one search may (pixels and seconds)."""
    if not data:
        raise BadInput("the file is empty")
    _check_video(data)
    s = searcher.settings
    scale = max(1.0, max_seconds / s.max_query_seconds)
    limits = replace(
        searcher.limits,
        max_seconds=max_seconds,
        max_decoded_frames=int(max_seconds * 120) + 1,  # up to 120 frames a second
        sample_every=SAMPLE_EVERY,
        refuse_longer=True,
    )
    budget = DecodeBudget.start(
        int(s.max_decode_pixels * scale),
        s.max_decode_seconds * scale,
        cancel=cancel,
        deadline=deadline,
    )
    budget.check()
    cut = s.cut_borders if cut_borders is None else cut_borders
    cutter = _Cutter(
        2 * s.resolution,
        lambda frames: prepare_query_frames(frames, s.resolution, cut, s.black_level),
    )
    video_frames(data, limits, budget, sink=cutter)
    return cutter.finish()


def _check_video(data: bytes) -> None:
    """A still image (or a GIF) sent for a breakdown is told so, not that it is unreadable."""
    try:
        video_format(data)
    except BadInput:
        try:
            with Image.open(io.BytesIO(data), formats=image_formats()):  # reads the header only
                pass
        except Exception:
            raise BadInput("not a video sabi can read (MP4, WebM, MKV, AVI or MPEG-TS)") from None
        raise BadInput(
            "an image has no shots to break down: send a video clip, or search the image"
        ) from None


def break_down(
    searcher: Searcher,
    data: bytes,
    *,
    max_seconds: float | None = None,
    cut_borders: bool | None = None,
    filters: Filters | None = None,
    cancel: Cancel | None = None,
    deadline: float | None = None,
) -> ShotsResponse:
    """``data``'s shots in clip order, each with its best scene (None under the floor)."""
    s = searcher.settings
    shots = cut_into_shots(
        searcher, data, max_seconds or s.max_shots_seconds, cut_borders, cancel, deadline
    )
    scope = searcher.scope(filters)
    frame_count = searcher.store.count()
    best: list[Scene | None] = [None] * len(shots)
    if shots and not scope.empty:
        best = _best_scenes(searcher, shots, scope)
    floor = s.min_similarity
    views = searcher.catalog.views({sc.episode_id for sc in best if sc is not None})
    out = []
    for shot, sc in zip(shots, best, strict=True):
        result = None
        if sc is not None and sc.similarity >= floor and sc.episode_id in views:
            view = views[sc.episode_id]
            # the episode time the shot covers, from its start (``at``) on
            end = min(view.duration, sc.at + shot.end - shot.start)
            result = scene_result(replace(sc, start=sc.at, end=max(sc.at, end)), view)
        out.append(
            ShotOut(
                start=round(shot.start, 3),
                end=round(shot.end, 3),
                similarity=round(sc.similarity, 4) if sc is not None else 0.0,
                result=result,
            )
        )
    return ShotsResponse(frameCount=frame_count, shots=merge_shots(out))


def _best_scenes(searcher: Searcher, shots: list[Shot], scope: Scope) -> list[Scene | None]:
    """Each shot's best scene: every shot's frames (and their mirror images, with ``mirror``)
    described in a few batches and searched in one call, then grouped shot by shot."""
    s = searcher.settings
    prepared = [sh.frames for sh in shots]
    flat = [f for frames in prepared for f in frames]
    images = [f.rgb for f in flat]
    if s.mirror:
        images += [f.rgb[:, ::-1] for f in flat]
    # ``batch_size`` frames a model call, as when indexing: all of a 2-minute clip's 228 frames
    # in one call took 600 MB of working memory, 64 took 400 MB, 16 take about 120 MB
    step = s.batch_size
    vectors = np.concatenate(
        [searcher.embedder.embed(images[i : i + step]) for i in range(0, len(images), step)]
    )
    hits = searcher.nearest(vectors, scope)
    views = 2 if s.mirror else 1
    best: list[Scene | None] = []
    i = 0
    for frames in prepared:
        n = len(frames)
        offsets = [f.time for f in frames]
        groups = [
            group_scenes(hits[v * len(flat) + i : v * len(flat) + i + n], offsets, s.scene_gap)
            for v in range(views)
        ]
        merged = merge_scenes(groups, s.scene_gap, 1)
        per_frame = [hits[v * len(flat) + i + j] for j in range(n) for v in range(views)]
        frame_offsets = [offsets[j] for j in range(n) for _ in range(views)]
        best.append(_pinned(merged[0], per_frame, frame_offsets, s) if merged else None)
        i += n
    return best


def _pinned(scene: Scene, per_frame: list[list[Hit]], offsets: list[float], s: Settings) -> Scene:
    """``scene.at`` held to the times every frame's hit allows. A kept index frame stands for
    a span of near-identical frames (a still shot), and ``at`` from the best hit alone can be
    anywhere in it; the shot's other frames, at their own offsets, narrow it down."""
    slack = 0.5 / s.rate  # a query frame lies within half a sampling step of a kept one
    lo, hi = float("-inf"), float("inf")
    for hits, offset in zip(per_frame, offsets, strict=True):
        near = [
            h
            for h in hits
            if h.episode_id == scene.episode_id
            and h.start - offset - slack <= scene.at + s.scene_gap
            and h.end - offset + slack >= scene.at - s.scene_gap
        ]
        if near:
            h = max(near, key=lambda h: h.score)
            lo, hi = max(lo, h.start - offset - slack), min(hi, h.end - offset + slack)
    if lo > hi:  # the frames disagree: keep the best hit's estimate
        return scene
    return replace(scene, at=max(0.0, min(max(scene.at, lo), hi)))


def merge_shots(shots: list[ShotOut]) -> list[ShotOut]:
    """Join consecutive shots found in one episode where the second starts about where the
    first, played on, would be: the cut detector fired inside one shot."""
    merged: list[ShotOut] = []
    for shot in shots:
        prev = merged[-1] if merged else None
        if prev is not None and _continues(prev, shot):
            assert prev.result is not None and shot.result is not None
            merged[-1] = _joined(prev, prev.result, shot, shot.result)
        else:
            merged.append(shot)
    return merged


def _continues(prev: ShotOut, shot: ShotOut) -> bool:
    a, b = prev.result, shot.result
    if a is None or b is None or a.episode_id != b.episode_id:
        return False
    expected = a.at + (shot.start - prev.start)
    return abs(b.at - expected) <= CONTIGUOUS


def _joined(prev: ShotOut, a: SceneResult, shot: ShotOut, b: SceneResult) -> ShotOut:
    better = a if a.similarity >= b.similarity else b
    scene = better.model_copy(update={"from_": a.from_, "at": a.at, "to": max(a.to, b.to)})
    return ShotOut(
        start=prev.start,
        end=shot.end,
        similarity=max(prev.similarity, shot.similarity),
        result=scene,
    )
