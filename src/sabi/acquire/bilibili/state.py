"""Download state in sabi's SQL database: per episode (``bilibili_episodes``) and, for
``--watch``, per season (``bilibili_seasons``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sabi.acquire.bilibili.api import EpisodeInfo, Season
from sabi.acquire.bilibili.models import BiliEpisode, BiliSeason
from sabi.catalog import Catalog


@dataclass(frozen=True)
class EpisodeRow:
    """A plain copy of one row, safe outside a session."""

    ep_id: int
    season_id: int | None
    tag: str | None
    show: str | None
    number: float | None
    title: str | None
    long_title: str | None
    status: str
    kind: str | None
    reason: str | None
    attempts: int
    quality: int | None
    note: str | None
    path: str | None
    size: int
    episode_id: int | None
    source: str | None
    updated_at: datetime | None

    @property
    def label(self) -> str:
        if self.show is None:
            return f"ep{self.ep_id}"
        if self.number is not None:
            return f"{self.show} {self.number:g}"
        return f"{self.show} {self.title or ''}".strip()


@dataclass(frozen=True)
class SeasonRow:
    season_id: int
    title: str | None
    polled_at: datetime | None  # UTC, naive
    episodes: int
    finished: bool
    done_at: datetime | None


def _row(r: BiliEpisode) -> EpisodeRow:
    return EpisodeRow(
        r.ep_id,
        r.season_id,
        r.tag,
        r.show,
        r.number,
        r.title,
        r.long_title,
        r.status,
        r.kind,
        r.reason,
        r.attempts or 0,
        r.quality,
        r.note,
        r.path,
        r.size or 0,
        r.episode_id,
        r.source,
        r.updated_at,
    )


def _get_or_add(s: Session, ep_id: int) -> BiliEpisode:
    """The row for ``ep_id``, a new 'pending' one if there is none."""
    r = s.get(BiliEpisode, ep_id)
    if r is None:
        r = BiliEpisode(ep_id=ep_id, status="pending", attempts=0, size=0)
        s.add(r)
    return r


class DownloadState:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def get(self, ep_id: int) -> EpisodeRow | None:
        with self.catalog.session() as s:
            r = s.get(BiliEpisode, ep_id)
            return _row(r) if r is not None else None

    def upsert(self, ep: EpisodeInfo, season: Season, tag: str | None) -> EpisodeRow:
        """Record what the API says about ``ep``; a new row starts 'pending'."""
        with self.catalog.session() as s:
            r = s.get(BiliEpisode, ep.ep_id)
            if r is None:
                r = BiliEpisode(ep_id=ep.ep_id, status="pending", attempts=0, size=0)
                s.add(r)
            r.season_id = season.season_id
            r.tag, r.show = tag, season.title
            r.number, r.title, r.long_title = ep.number, ep.title, ep.long_title
            r.aid, r.bvid, r.cid = ep.aid, ep.bvid, ep.cid
            if ep.duration:
                r.duration = ep.duration
            s.flush()
            return _row(r)

    def update(self, ep_id: int, **fields: Any) -> None:
        with self.catalog.session() as s:
            r = _get_or_add(s, ep_id)
            for key, value in fields.items():
                setattr(r, key, value)

    def begin_attempt(self, ep_id: int) -> int:
        """Count one more try; a row that is not there (removed meanwhile) is made anew."""
        with self.catalog.session() as s:
            r = _get_or_add(s, ep_id)
            r.attempts = (r.attempts or 0) + 1
            r.status, r.kind, r.reason = "downloading", None, None
            return r.attempts

    def fail(self, ep_id: int, kind: str, reason: str, *, count_attempt: bool = False) -> None:
        with self.catalog.session() as s:
            r = _get_or_add(s, ep_id)
            if count_attempt:
                r.attempts = (r.attempts or 0) + 1
            r.status, r.kind, r.reason = "failed", kind, reason

    def rows(self, *, tag: str | None = None, status: str | None = None) -> list[EpisodeRow]:
        q = select(BiliEpisode).order_by(
            BiliEpisode.show, BiliEpisode.season_id, BiliEpisode.number, BiliEpisode.ep_id
        )
        if tag is not None:
            q = q.where(BiliEpisode.tag == tag)
        if status is not None:
            q = q.where(BiliEpisode.status == status)
        with self.catalog.session() as s:
            return [_row(r) for r in s.scalars(q)]

    def import_seed(self, done: set[int], failed: dict[int, str]) -> tuple[int, int]:
        """Rows for the seed's finish.json / failed.json ids that sabi has no row for yet.

        Done ids become 'indexed' (skipped by later runs: the seed already handled them);
        failed ones become 'failed' with one attempt (retried by the next run).
        """
        n_done = n_failed = 0
        with self.catalog.session() as s:
            known = set(s.scalars(select(BiliEpisode.ep_id)))
            for ep_id in sorted(done - known):
                s.add(
                    BiliEpisode(
                        ep_id=ep_id,
                        status="indexed",
                        attempts=0,
                        size=0,
                        source="finish.json",
                        note="imported from the seed's finish.json",
                    )
                )
                n_done += 1
            for ep_id, reason in sorted(failed.items()):
                if ep_id in known or ep_id in done:
                    continue
                s.add(
                    BiliEpisode(
                        ep_id=ep_id,
                        status="failed",
                        kind="imported",
                        reason=reason,
                        attempts=1,
                        size=0,
                        source="failed.json",
                    )
                )
                n_failed += 1
        return n_done, n_failed

    # ----- seasons (for --watch)

    def seasons(self) -> dict[int, SeasonRow]:
        with self.catalog.session() as s:
            return {
                r.season_id: SeasonRow(
                    r.season_id, r.title, r.polled_at, r.episodes or 0, bool(r.finished), r.done_at
                )
                for r in s.scalars(select(BiliSeason))
            }

    def season_polled(
        self,
        season_id: int,
        when: datetime,
        *,
        title: str | None = None,
        episodes: int | None = None,
        finished: bool | None = None,
    ) -> None:
        """Record a read of the season at ``when`` (what it said, when it could be read)."""
        with self.catalog.session() as s:
            r = s.get(BiliSeason, season_id)
            if r is None:
                r = BiliSeason(season_id=season_id, episodes=0, finished=False)
                s.add(r)
            r.polled_at = when
            if title is not None:
                r.title = title
            if episodes is not None:
                r.episodes = episodes
            if finished is not None:
                r.finished = finished

    def season_done(self, season_id: int, when: datetime) -> None:
        """Stop watching the season: it finished airing and all of its episodes are settled."""
        with self.catalog.session() as s:
            r = s.get(BiliSeason, season_id)
            if r is not None:
                r.done_at = when
