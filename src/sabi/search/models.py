"""The answer's shape: trace.moe's fields plus sabi's own. Shared by the CLI and the API.

The fields of a matched scene are written once, in ``SceneFields``; the library's answer
(``SearchResponse``) and the HTTP API's (``sabi.serve.schemas.SearchOut``) add only what
differs: the HTTP answer's ``anilist`` may be an object, and it links previews.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def _is_none(value: object) -> bool:
    return value is None


class ShowInfo(BaseModel):
    id: int
    title: str
    tag: str | None = None


class SceneFields(BaseModel):
    """One matching scene. trace.moe's keys are always present (``episode`` may be null);
    sabi's optional extras are left out of the JSON when unset."""

    model_config = ConfigDict(populate_by_name=True)

    filename: str
    episode: float | int | None = Field(description="Episode number, when known.")
    duration: float = Field(description="Length of the episode in seconds.")
    from_: float = Field(alias="from", description="Start of the matching scene (s).")
    at: float = Field(description="Best-matching moment (s).")
    to: float = Field(description="End of the matching scene (s).")
    similarity: float = Field(ge=0, le=1, description="Cosine similarity of the best frame.")
    show: ShowInfo
    episode_id: int
    link: str | None = Field(
        None,
        exclude_if=_is_none,
        description="Where the episode can be watched, if known (absent otherwise).",
    )


class SceneResult(SceneFields):
    anilist: int | None = Field(
        None, exclude_if=_is_none, description="trace.moe compatibility: the show id."
    )


class Answer[SceneT: SceneFields](BaseModel):
    """What every search answers: how much was searched and the scenes found, best first."""

    frameCount: int = Field(description="Frames in the index that were searched.")
    error: str = ""
    found: bool = Field(
        False,
        description="Whether the best scene is a clear match (min_similarity, and min_margin "
        "above any other episode's best; a lower bar where its pixels line up with the query, a "
        "wider margin where nothing does): false means the scene is probably not in the "
        "library (the closest scenes are still listed).",
    )
    result: list[SceneT] = []


class SearchResponse(Answer[SceneResult]):
    def as_json(self) -> dict[str, Any]:
        """The answer as trace.moe-shaped JSON data (``from``, not ``from_``)."""
        return self.model_dump(by_alias=True)


class ShotOut(BaseModel):
    """One shot of a clip and where it comes from."""

    start: float = Field(description="Start of the shot in the query clip (s).")
    end: float = Field(description="End of the shot in the query clip (s).")
    similarity: float = Field(ge=0, le=1, description="Score of the shot's best scene (0: none).")
    result: SceneResult | None = Field(
        description="The shot's best scene; null when nothing scores above the floor (the shot "
        "is probably not in the library). Its ``from`` and ``at`` are the episode time at the "
        "shot's start, ``to`` the time at its end."
    )


class ShotsResponse(BaseModel):
    """A clip broken down into its shots, in clip order."""

    frameCount: int = Field(description="Frames in the index that were searched.")
    error: str = ""
    shots: list[ShotOut] = []

    def as_json(self) -> dict[str, Any]:
        """The answer as JSON data (scenes with ``from``, not ``from_``)."""
        return self.model_dump(by_alias=True)
