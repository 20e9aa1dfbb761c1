"""The shapes of Bilibili's API answers, checked with pydantic before anything reads them.

Bilibili (or whatever answers at ``api_base``: a mirror, a captive portal, a proxy) may send valid
JSON of any shape. Every field sabi reads is declared here with its type; an answer that does not
fit becomes one ``BilibiliError("api")`` naming the field, for that season or episode only, never
a ``KeyError``/``TypeError`` traceback. Unknown fields are ignored (the API adds them often).
Shapes: SocialSisterYi/bilibili-API-collect, docs/bangumi/info.md and
docs/bangumi/videostream_url.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: An id as the database stores it (BIGINT): a hostile 10**30 is refused here, not by the
#: database in the middle of a run.
Id = Annotated[int, Field(ge=0, lt=2**63)]
#: A quality code (``qn``), stored as INTEGER.
Qn = Annotated[int, Field(ge=0, lt=2**31)]


class _Answer(BaseModel):
    # Numbers given as strings ("123") are accepted, as the API sometimes sends them; text
    # fields take numbers too (a title of 1); anything else is refused.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class RawEpisode(_Answer):
    """One entry of a season's ``episodes`` (or a section's)."""

    id: Id | None = None
    ep_id: Id | None = None
    aid: Id | None = None
    bvid: str | None = None
    cid: Id | None = None
    title: str | None = None
    long_title: str | None = None
    duration: float | None = None  # milliseconds
    badge: str | None = None
    status: int | None = None


class RawSection(_Answer):
    episodes: list[Any] | None = None  # each checked on its own (see season_episodes)


class RawSeason(_Answer):
    """``result`` of ``/pgc/view/web/season``."""

    season_id: Id | None = None
    title: str | None = None
    season_title: str | None = None
    episodes: list[Any] | None = None
    section: list[RawSection] | None = None
    # ``{"is_finish": 0|1, "is_started": ...}``; only ``--watch`` reads it, so an odd one is
    # taken as "not known to be finished" rather than costing the season.
    publish: Any = None

    @property
    def finished(self) -> bool:
        """The API says the season has finished airing (``publish.is_finish`` = 1)."""
        value = self.publish.get("is_finish") if isinstance(self.publish, dict) else None
        return value in (1, "1")  # True == 1 too


class RawStreamEntry(_Answer):
    """One DASH video/audio track, or one durl segment."""

    id: Qn | None = None
    codecid: int | None = None
    bandwidth: int | None = None
    order: int | None = None
    size: int | None = None
    base_url: str | None = None
    baseUrl: str | None = None  # noqa: N815 (the API's own spelling)
    url: str | None = None
    backup_url: list[str] | None = None
    backupUrl: list[str] | None = None  # noqa: N815

    def urls(self) -> list[str]:
        main = self.base_url or self.baseUrl or self.url
        return [u for u in [main, *(self.backup_url or self.backupUrl or [])] if u]


class RawFlac(_Answer):
    audio: RawStreamEntry | None = None


class RawDash(_Answer):
    duration: float | None = None
    video: list[RawStreamEntry] | None = None
    audio: list[RawStreamEntry] | None = None
    flac: RawFlac | None = None


class RawPlay(_Answer):
    """``result`` of ``/pgc/player/web/playurl``."""

    quality: Qn | None = None
    accept_quality: list[int] | None = None
    is_preview: int | bool | None = None
    timelength: float | None = None
    format: str | None = None
    dash: RawDash | None = None
    durl: list[RawStreamEntry] | None = Field(default=None)


def shape_problem(exc: ValidationError) -> str:
    """The first offending field of ``exc``, in a few words: ``episodes.3.id: not a number``."""
    parts = []
    for e in exc.errors()[:3]:
        where = ".".join(str(x) for x in e.get("loc", ())) or "the answer"
        parts.append(f"{where} = {_short(e.get('input'))}: {e.get('msg', 'invalid')}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
