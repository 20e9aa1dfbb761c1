"""Answer a query: prepare it like an indexed frame, search the store, group into scenes."""

from __future__ import annotations

from dataclasses import dataclass

from sabi.catalog import Catalog
from sabi.describe.base import Embedder
from sabi.errors import BadInput
from sabi.prepare.budget import Cancel
from sabi.prepare.query import (
    QueryFrame,
    QueryLimits,
    load_query,
    prepare_query_frames,
)
from sabi.search.models import SceneResult, SearchResponse, ShowInfo
from sabi.search.scenes import Scene, group_scenes, merge_scenes
from sabi.settings import Settings
from sabi.store.base import VectorStore


@dataclass(frozen=True)
class Filters:
    show: str | None = None
    show_id: int | None = None
    tag: str | None = None

    @property
    def any(self) -> bool:
        return any(v is not None for v in (self.show, self.show_id, self.tag))


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

    def search_bytes(
        self,
        data: bytes,
        *,
        cut_borders: bool | None = None,
        filters: Filters | None = None,
        limit: int | None = None,
        cancel: Cancel | None = None,
        deadline: float | None = None,
    ) -> SearchResponse:
        """``cancel`` and ``deadline`` bound the query's decoding (see ``load_query``)."""
        frames = load_query(data, self.limits, cancel=cancel, deadline=deadline)
        return self.search_frames(frames, cut_borders=cut_borders, filters=filters, limit=limit)

    def search_frames(
        self,
        frames: list[QueryFrame],
        *,
        cut_borders: bool | None = None,
        filters: Filters | None = None,
        limit: int | None = None,
    ) -> SearchResponse:
        if not frames:
            raise BadInput("the query has no frames")
        s = self.settings
        cut = s.cut_borders if cut_borders is None else cut_borders
        frames = prepare_query_frames(frames, s.resolution, cut, s.black_level)
        allowed = None
        filters = filters or Filters()
        if filters.any:
            allowed = self.catalog.select_episodes(
                show=filters.show, show_id=filters.show_id, tag=filters.tag
            )
        frame_count = self.store.count()
        if allowed is not None and not allowed:
            return SearchResponse(frameCount=frame_count)
        shows = (
            None
            if allowed is None
            else self.catalog.select_shows(
                show=filters.show, show_id=filters.show_id, tag=filters.tag
            )
        )  # lets a store partitioned by show (Milvus) skip other shows' partitions
        scenes = self._scenes(frames, allowed, limit or s.limit, shows)
        views = self.catalog.views({sc.episode_id for sc in scenes})
        results = []
        for sc in scenes:
            view = views.get(sc.episode_id)
            if view is None:  # removed between search and lookup
                continue
            number = view.number
            results.append(
                SceneResult(
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
            )
        found = bool(results) and results[0].similarity >= s.min_similarity
        return SearchResponse(frameCount=frame_count, result=results, found=found)

    def _scenes(
        self,
        frames: list[QueryFrame],
        allowed: list[int] | None,
        limit: int,
        shows: list[int] | None = None,
    ) -> list[Scene]:
        """Scenes for the query, and for its mirror image when ``mirror`` is on: the two are
        grouped apart (a mirrored frame is another view, not another moment) and merged."""
        s = self.settings
        views = [[f.rgb for f in frames]]
        if s.mirror:
            views.append([f.rgb[:, ::-1] for f in frames])
        vectors = self.embedder.embed([rgb for view in views for rgb in view])
        hits = self.store.search(vectors, s.top_k, allowed, shows=shows)
        indexed = self.catalog.indexed_ids()
        hits = [[h for h in per_frame if h.episode_id in indexed] for per_frame in hits]
        offsets = [f.time for f in frames]
        n = len(frames)
        groups = [
            group_scenes(hits[i * n : (i + 1) * n], offsets, s.scene_gap) for i in range(len(views))
        ]
        return merge_scenes(groups, s.scene_gap, limit)


def _link(template: str | None, at: float) -> str | None:
    """Episode links may carry a ``{t}`` placeholder for the matched second."""
    if not template:
        return None
    return template.replace("{t}", str(int(at)))
