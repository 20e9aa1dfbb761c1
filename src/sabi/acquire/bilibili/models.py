"""The download state, one row per Bilibili episode, in sabi's own SQL database.

``status`` moves pending -> downloading -> downloaded -> indexed (or, with ``enqueue``, to
queued: on the job queue for ``sabi worker``, indexed once a worker did it); any step may end in failed
(``kind`` says why: region, vip, removed, login, network, mux, index, api, unknown).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Boolean, Connection, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


STATUSES = ("pending", "downloading", "downloaded", "queued", "indexed", "failed")


class Base(DeclarativeBase):
    """The downloader's own tables, apart from the catalogue's (which never creates them)."""


class BiliEpisode(Base):
    __tablename__ = "bilibili_episodes"

    ep_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    season_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    tag: Mapped[str | None] = mapped_column(String(128), index=True)
    show: Mapped[str | None] = mapped_column(String(512))
    number: Mapped[float | None] = mapped_column(Float)
    title: Mapped[str | None] = mapped_column(String(256))
    long_title: Mapped[str | None] = mapped_column(String(1024))
    aid: Mapped[int | None] = mapped_column(BigInteger)
    bvid: Mapped[str | None] = mapped_column(String(32))
    cid: Mapped[int | None] = mapped_column(BigInteger)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    kind: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    quality: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(String(4096))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    episode_id: Mapped[int | None] = mapped_column(Integer)  # sabi's episodes.id once indexed
    source: Mapped[str | None] = mapped_column(String(32))  # e.g. "finish.json" when imported
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


class BiliSeason(Base):
    """A queued season as ``--watch`` follows it: when it was last read, and whether it is done
    (the API calls it finished and every one of its episodes is settled), so a restarted watch
    keeps the spacing and stops asking about finished seasons."""

    __tablename__ = "bilibili_seasons"

    season_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str | None] = mapped_column(String(512))
    polled_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC, naive
    episodes: Mapped[int] = mapped_column(Integer, default=0)  # main episodes out at that read
    finished: Mapped[bool] = mapped_column(Boolean, default=False)  # the API's publish.is_finish
    done_at: Mapped[datetime | None] = mapped_column(DateTime)  # dropped from watching then


def _v1_episodes(conn: Connection) -> None:
    """The download state. In a database from before features had their own steps, the
    catalogue's old step 3 already made it (create_all leaves it as it is)."""
    Base.metadata.create_all(conn, tables=[Base.metadata.tables[BiliEpisode.__tablename__]])


def _v2_seasons(conn: Connection) -> None:
    """What ``--watch`` remembers per season."""
    Base.metadata.create_all(conn, tables=[Base.metadata.tables[BiliSeason.__tablename__]])


#: The schema steps of the ``bilibili`` feature (append, never edit: see sabi.catalog.migrations).
SCHEMA_STEPS = [_v1_episodes, _v2_seasons]
