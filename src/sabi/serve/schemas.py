"""Shapes the HTTP API documents in its OpenAPI description, and enforces: routes declare them
as their response models. A search result extends the library's (sabi.search.models)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sabi.search.models import Answer, SceneFields, ShowInfo


class ErrorBody(BaseModel):
    error: str = Field(description="What went wrong, in words a person can act on.")


class AniListTitle(BaseModel):
    native: str | None = None
    romaji: str | None = None
    english: str | None = None
    userPreferred: str | None = None


class AniListInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    idMal: int | None = None
    title: AniListTitle
    synonyms: list[str] = []
    isAdult: bool = False


class ResultOut(SceneFields):
    """A scene as the HTTP API gives it: with preview links, and ``anilist`` an object when
    ``anilistInfo`` is asked for."""

    anilist: int | AniListInfo = Field(
        description="The show id, or (with anilistInfo) an AniList-shaped object."
    )
    video: str = Field(description="Preview clip (MP4); add &size=s|m|l, &mute.")
    image: str = Field(description="Preview still (JPEG/WebP); add &size=s|m|l.")


class SearchOut(Answer[ResultOut]):
    quota: int = Field(description="Searches allowed per 24 hours (0: unlimited, admin).")
    quotaUsed: int = Field(description="Searches used of it, this one included.")


class ShotOut(BaseModel):
    """One shot of a clip: where it is in the clip and the scene it comes from."""

    start: float = Field(description="Start of the shot in the clip (s).")
    end: float = Field(description="End of the shot in the clip (s).")
    similarity: float = Field(description="Score of the shot's best scene (0: none).")
    result: ResultOut | None = Field(
        description="The best scene (``from``/``at``: the episode time at the shot's start, "
        "``to``: at its end); null when the shot is probably not in the library."
    )


class ShotsOut(BaseModel):
    frameCount: int = Field(description="Frames in the index that were searched.")
    error: str = ""
    shots: list[ShotOut] = Field(description="The clip's shots, in order (flashes left out).")
    quota: int = Field(description="Searches allowed per 24 hours (0: unlimited, admin).")
    quotaUsed: int = Field(description="Searches used of it, this one included.")


class MeOut(BaseModel):
    id: str = Field(description="The key's name, or your IP address (IPv6: its /64).")
    priority: int
    concurrency: int
    quota: int = Field(description="Searches allowed per 24 hours (0: unlimited, admin).")
    quotaUsed: int


class StoreHealth(BaseModel):
    kind: str
    vectors: int
    bytes: int
    healthy: bool
    detail: str = ""


class StatusOut(BaseModel):
    version: str
    shows: int
    episodes: int
    frames: int
    hours: float
    failed: int
    descriptor: str | None
    store: StoreHealth
    searches_running: int


class ShowListItem(ShowInfo):
    episodes: int


class IndexRequest(BaseModel):
    paths: list[str] = Field(min_length=1, description="Files or folders on the server.")
    show: str | None = None
    tag: str | None = None


class KeyRequest(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    quota: int | None = Field(None, ge=0)


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    quota: int
    revoked: bool
    used: int = 0
    key: str | None = Field(None, description="The key itself: shown once, at creation.")


class GraphQLRequest(BaseModel):
    query: str
    variables: dict[str, Any] | None = None
    operationName: str | None = None
