"""Answer a query: prepare it like an indexed frame, search the store, group into scenes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sabi.catalog import Catalog, EpisodeView
from sabi.describe.base import Embedder
from sabi.errors import BadInput
from sabi.prepare.budget import Cancel
from sabi.prepare.query import (
    QueryFrame,
    QueryLimits,
    load_query,
    prepare_query_frames,
)
from sabi.prepare.regions import Region, propose_regions
from sabi.prepare.screens import Screen, find_screens
from sabi.prepare.strips import padded_strip
from sabi.search.lookalike import lookalike_scenes
from sabi.search.models import SceneResult, SearchResponse, ShowInfo
from sabi.search.moment import place_scenes
from sabi.search.refine import Refiner
from sabi.search.scenes import Scene, group_scenes, merge_scenes
from sabi.search.verdict import Bar, clear_answer
from sabi.settings import Settings
from sabi.store.base import Hit, VectorStore


@dataclass(frozen=True)
class Filters:
    show: str | None = None
    show_id: int | None = None
    tag: str | None = None

    @property
    def any(self) -> bool:
        return any(v is not None for v in (self.show, self.show_id, self.tag))


CONTEXT = 0.1  # share of a proposed box's size it is widened by each side for ``exact``
RUNNER_UP_DEPTH = 10  # scenes grouped before ``limit`` applies, to find the runner-up episode


@dataclass(frozen=True)
class Match:
    """A query's scenes, with the prepared images searched and their vectors (one row per
    view: the image, and its mirror image when mirrored views are searched)."""

    scenes: list[Scene]
    images: list[np.ndarray]
    vectors: list[np.ndarray]
    #: per image, the box or screen of ``still`` it was cut from (None: the whole query), for
    #: ``exact`` to look in a wider copy (``widened``)
    boxes: list[Region | Screen | None] = field(default_factory=list)
    still: np.ndarray | None = None

    def contexts(self, width: int, wanted: set[int]) -> list[np.ndarray | None]:
        """Per image, its box widened (``widened``), where ``exact`` looks for the frame; only
        for the images in ``wanted`` (those the answer's scenes came from: straightening a
        screen again is a warp of the whole photo), None for the rest."""
        still = self.still
        return [
            None if b is None or still is None or j not in wanted else widened(b, still, width)
            for j, b in enumerate(self.boxes)
        ]


@dataclass(frozen=True)
class Scope:
    """Where a search may look: the episodes the filters leave and their shows (None: all).
    The shows let a store partitioned by show (Milvus) skip the other shows' partitions."""

    episodes: list[int] | None = None
    shows: list[int] | None = None

    @property
    def empty(self) -> bool:
        """The filters leave nothing: the answer is empty without searching."""
        return self.episodes is not None and not self.episodes


class Searcher:
    """Holds the loaded model and store; one per process, reused for every query."""

    def __init__(
        self, settings: Settings, catalog: Catalog, store: VectorStore, embedder: Embedder
    ):
        self.settings = settings
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        catalog.check_descriptor(embedder.name)
        self.limits = QueryLimits(
            max_pixels=settings.max_image_pixels,
            max_frames=settings.query_frames,
            max_seconds=settings.max_query_seconds,
            shrink_to=2 * settings.resolution,
            max_decode_pixels=settings.max_decode_pixels,
            max_decode_seconds=settings.max_decode_seconds,
        )
        self.refiner = Refiner(
            embedder, settings.rate, settings.resolution, settings.cut_borders, settings.black_level
        )

    def search_bytes(
        self,
        data: bytes,
        *,
        cut_borders: bool | None = None,
        filters: Filters | None = None,
        limit: int | None = None,
        cancel: Cancel | None = None,
        deadline: float | None = None,
        exact: bool | None = None,
    ) -> SearchResponse:
        """``cancel`` and ``deadline`` bound the query's decoding (see ``load_query``)."""
        frames = load_query(data, self.limits, cancel=cancel, deadline=deadline)
        return self.search_frames(
            frames, cut_borders=cut_borders, filters=filters, limit=limit, exact=exact
        )

    def search_frames(
        self,
        frames: list[QueryFrame],
        *,
        cut_borders: bool | None = None,
        filters: Filters | None = None,
        limit: int | None = None,
        exact: bool | None = None,
    ) -> SearchResponse:
        """``exact`` (None: the ``exact_at`` setting) names the exact frame from the source
        video where it is at hand (``sabi.search.refine``), instead of the sampled one."""
        if not frames:
            raise BadInput("the query has no frames")
        s = self.settings
        cut = s.cut_borders if cut_borders is None else cut_borders
        loaded = frames
        frames = prepare_query_frames(frames, s.resolution, cut, s.black_level)
        scope = self.scope(filters)
        frame_count = self.store.count()
        if scope.empty:
            return SearchResponse(frameCount=frame_count)
        limit = limit or s.limit
        # a few more scenes than asked for: "found" compares the best with the next episode's
        match = self._scenes(frames, scope, max(limit, RUNNER_UP_DEPTH), loaded, cut)
        step = 1 / s.rate
        scenes = place_scenes(
            match.scenes[:limit], match.vectors, self.store, step, s.dedupe_max_span
        )
        scenes = lookalike_scenes(scenes, match.images, self.catalog.samples, step)
        found = clear_answer(scenes, Bar.of(s), match.scenes)
        views = self.catalog.views({sc.episode_id for sc in scenes})
        if s.exact_at if exact is None else exact:
            queries = [[rgb, rgb[:, ::-1]] if s.mirror else [rgb] for rgb in match.images]
            paths = {i: v.path for i, v in views.items()}
            contexts = match.contexts(s.resolution, {sc.frame for sc in scenes})
            scenes = self.refiner.scenes(scenes, queries, paths, contexts)
        # a scene whose episode was removed between search and lookup is left out
        results = [
            scene_result(sc, views[sc.episode_id]) for sc in scenes if sc.episode_id in views
        ]
        return SearchResponse(frameCount=frame_count, result=results, found=found and bool(results))

    def scope(self, filters: Filters | None) -> Scope:
        """Where the filters let a search look (everything without filters)."""
        if filters is None or not filters.any:
            return Scope()
        show, show_id, tag = filters.show, filters.show_id, filters.tag
        return Scope(
            self.catalog.select_episodes(show=show, show_id=show_id, tag=tag),
            self.catalog.select_shows(show=show, show_id=show_id, tag=tag),
        )

    def nearest(
        self, vectors: np.ndarray, scope: Scope, indexed: set[int] | None = None
    ) -> list[list[Hit]]:
        """The ``top_k`` stored frames nearest each vector within ``scope``, from indexed
        episodes only (an episode being indexed or removed has vectors but is not answered).
        ``indexed``: those episodes, when the caller already read them for this query."""
        hits = self.store.search(vectors, self.settings.top_k, scope.episodes, shows=scope.shows)
        if indexed is None:
            indexed = self.catalog.indexed_ids()
        return [[h for h in per_frame if h.episode_id in indexed] for per_frame in hits]

    def _scenes(
        self,
        frames: list[QueryFrame],
        scope: Scope,
        limit: int,
        loaded: list[QueryFrame] | None = None,
        cut: bool = False,
    ) -> Match:
        """Scenes for the query, and for its mirror image when ``mirror`` is on: the two are
        grouped apart (a mirrored frame is another view, not another moment) and merged.

        A still image whose best scene is weak (``region_below``) is searched again in the
        boxes where a frame may sit inside it, cut from ``loaded`` (the frames before
        preparing), and one not yet found (``min_similarity``) in the tilted screens it may
        show, straightened: see ``_with_regions``. A strong answer costs one embedding.

        Also keeps the prepared images searched and their vectors: ``Scene.frame`` indexes
        them, so the moment is placed and looked for with the picture that matched (a box, not
        the whole meme)."""
        s = self.settings
        views = [[f.rgb for f in frames]]
        if s.mirror:
            views.append([f.rgb[:, ::-1] for f in frames])
        vectors = self.embedder.embed([rgb for view in views for rgb in view])
        indexed = self.catalog.indexed_ids()  # read once per query, regions included
        hits = self.nearest(vectors, scope, indexed)
        offsets = [f.time for f in frames]
        n = len(frames)
        groups = [
            group_scenes(hits[i * n : (i + 1) * n], offsets, s.scene_gap) for i in range(len(views))
        ]
        scenes = merge_scenes(groups, s.scene_gap, limit)
        match = Match(
            scenes, [f.rgb for f in frames], [vectors[j::n] for j in range(n)], [None] * n
        )
        best = scenes[0].similarity if scenes else 0.0
        if s.regions and best < s.min_similarity and loaded is not None and len(loaded) == 1:
            boxes = best < s.region_below
            return self._with_regions(match, loaded[0].rgb, cut, scope, limit, indexed, boxes)
        return match

    def _with_regions(
        self,
        match: Match,
        still: np.ndarray,
        cut: bool,
        scope: Scope,
        limit: int,
        indexed: set[int],
        boxes: bool = True,
    ) -> Match:
        """``match``'s scenes merged with those of the boxes of ``still`` where a video frame
        may sit (sabi.prepare.regions; only when ``boxes``) and of the screens photographed at
        an angle in it, straightened (sabi.prepare.screens): a picture pasted into a meme, an
        app's player, a photo of a monitor; and, for a portrait still, of the still padded to
        a frame's shape (sabi.prepare.strips: a strip cut for phones), which takes one of
        ``max_regions``. The boxes are
        cut from the image as loaded (not the copy scaled for the whole-image search), prepared
        like any query, embedded in one batch and searched in one call; each is grouped on its
        own, since they are other views of one moment, not frames of a clip. A box's scenes
        name it as query image ``1 + i`` (after the whole still); the prepared boxes and
        their vectors join the match's (for the padded strip, the strip's own image: its
        scenes are placed by the strip's pixels)."""
        s = self.settings
        strip = padded_strip(still, 2 * s.resolution)
        room = s.max_regions - (strip is not None)
        regions: list[Region | Screen] = [*find_screens(still, min(2, room))]
        if boxes:
            regions += propose_regions(still, room - len(regions))
        pictures = [r.crop(still) for r in regions]
        if strip is not None:
            pictures.append(strip)
        if not pictures:
            return match

        def prepared(picture: np.ndarray) -> np.ndarray:
            frame = QueryFrame(0.0, picture)
            return prepare_query_frames([frame], s.resolution, cut, s.black_level)[0].rgb

        crops = [prepared(picture) for picture in pictures]
        # a strip is embedded padded, but placed by its own pixels (the boxes of a narrow crop)
        kept = crops if strip is None else [*crops[:-1], match.images[0]]
        views = crops + [rgb[:, ::-1] for rgb in crops] if s.mirror else crops
        vectors = self.embedder.embed(views)
        hits = self.nearest(vectors, scope, indexed)
        groups = [
            [
                replace(scene, frame=1 + k % len(crops))
                for scene in group_scenes([per_crop], [0.0], s.scene_gap)
            ]
            for k, per_crop in enumerate(hits)
        ]
        return Match(
            merge_scenes([match.scenes, *groups], s.scene_gap, limit),
            match.images + kept,
            match.vectors + [vectors[k :: len(crops)] for k in range(len(crops))],
            [*match.boxes, *regions, *([None] if strip is not None else [])],
            still,
        )


def widened(region: Region | Screen, still: np.ndarray, width: int) -> np.ndarray:
    """The box widened by CONTEXT of its size each side (within the image), scaled as the box
    was: a proposed box can be a few pixels off the frame it holds, cutting an edge of it, and
    ``exact`` then finds the frame whole in this one. A screen the same, straightened."""
    if isinstance(region, Screen):
        wide = QueryFrame(0.0, region.crop(still, CONTEXT))
        return prepare_query_frames([wide], round(width * (1 + 2 * CONTEXT)), False, 0)[0].rgb
    h, w = still.shape[:2]
    dx = round(CONTEXT * (region.x1 - region.x0))
    dy = round(CONTEXT * (region.y1 - region.y0))
    y0, y1 = max(0, region.y0 - dy), min(h, region.y1 + dy)
    x0, x1 = max(0, region.x0 - dx), min(w, region.x1 + dx)
    scaled = round(width * (x1 - x0) / max(1, region.x1 - region.x0))
    frame = QueryFrame(0.0, still[y0:y1, x0:x1])
    return prepare_query_frames([frame], scaled, False, 0)[0].rgb


def scene_result(sc: Scene, view: EpisodeView) -> SceneResult:
    """A scene as the answer shows it: the episode's details, times and score rounded."""
    number = view.number
    return SceneResult(
        filename=view.filename,
        episode=int(number) if number is not None and number.is_integer() else number,
        duration=round(view.duration, 3),
        from_=round(sc.start, 3),
        at=round(sc.at, 3),
        to=round(sc.end, 3),
        similarity=round(sc.similarity, 4),
        show=ShowInfo(id=view.show_id, title=view.show_title, tag=view.show_tag),
        episode_id=view.id,
        anilist=view.show_id,
        link=_link(view.link, sc.at),
    )


def _link(template: str | None, at: float) -> str | None:
    """Episode links may carry a ``{t}`` placeholder for the matched second."""
    if not template:
        return None
    return template.replace("{t}", str(int(at)))
