"""The catalogue: show/episode metadata in SQL (SQLite by default, any SQLAlchemy URL)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, create_engine, delete, event, func, insert, select
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker

from sabi.catalog import migrations
from sabi.catalog.models import Cut, Episode, Meta, Sample, Show
from sabi.errors import DescriptorMismatch


@dataclass(frozen=True)
class EpisodeView:
    """What a search result says about an episode (a plain copy, safe outside a session)."""

    id: int
    filename: str
    path: str
    number: float | None
    duration: float
    link: str | None
    show_id: int
    show_title: str
    show_tag: str | None


@dataclass(frozen=True)
class CatalogStats:
    shows: int
    episodes: int
    frames: int
    duration: float
    failed: int


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: object) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade_schema(url: str) -> tuple[list[migrations.SchemaVersion], list[int]]:
    """Create or upgrade the catalogue's tables (the engine's and every registered feature's)
    in one transaction; returns the versions after, and the versions found before in the same
    order. Opening a Catalog does the same; this is for operators who upgrade once before
    starting many processes, so that they do not all race to do it."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            migrations.lock(conn)  # before reading: another process may be upgrading
            before = [v.current for v in migrations.versions(conn)]
            migrations.upgrade(conn)
            return migrations.versions(conn), before
    finally:
        engine.dispose()


class Catalog:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        with self.engine.begin() as conn:
            migrations.upgrade(conn)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()

    # ----- index-wide facts

    def get_meta(self, key: str) -> str | None:
        with self.session() as s:
            row = s.get(Meta, key)
            return row.value if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.session() as s:
            s.merge(Meta(key=key, value=value))

    def bind_descriptor(self, name: str, dim: int) -> None:
        """Record the descriptor on first use; refuse a different one afterwards."""
        current = self.get_meta("descriptor")
        if current is None:
            self.set_meta("descriptor", name)
            self.set_meta("dim", str(dim))
        else:
            self.check_descriptor(name)

    def check_descriptor(self, name: str) -> None:
        current = self.get_meta("descriptor")
        if current is not None and current != name:
            raise DescriptorMismatch(
                f"this index was built with descriptor {current!r}, but {name!r} is configured: "
                f"set descriptor = {current!r}, or use another data directory"
            )

    # ----- shows and episodes

    def ensure_show(self, title: str, tag: str | None = None) -> int:
        with self.session() as s:
            show = s.scalar(select(Show).where(Show.title == title))
            if show is None:
                show = Show(title=title, tag=tag)
                s.add(show)
                s.flush()
            elif tag is not None and show.tag != tag:
                show.tag = tag
            return show.id

    def episode_by_path(self, path: str) -> Episode | None:
        with self.session() as s:
            return s.scalar(select(Episode).where(Episode.path == path))

    def begin_episode(self, show_id: int, path: str, **fields: Any) -> int:
        """Create or reset the row for ``path`` as 'indexing'; returns its id."""
        with self.session() as s:
            ep = s.scalar(select(Episode).where(Episode.path == path))
            if ep is None:
                ep = Episode(show_id=show_id, path=path, **fields)
                s.add(ep)
            else:
                ep.show_id = show_id
                for key, value in fields.items():
                    setattr(ep, key, value)
            ep.status, ep.error, ep.frame_count = "indexing", None, 0
            s.flush()
            return ep.id

    def update_episode(self, episode_id: int, **fields: Any) -> None:
        with self.session() as s:
            ep = s.get(Episode, episode_id)
            if ep is not None:
                for key, value in fields.items():
                    setattr(ep, key, value)

    def unfinished(self) -> list[int]:
        with self.session() as s:
            return list(s.scalars(select(Episode.id).where(Episode.status != "indexed")))

    def ids_with_status(self, status: str) -> list[int]:
        with self.session() as s:
            return list(s.scalars(select(Episode.id).where(Episode.status == status)))

    def indexed_ids(self) -> set[int]:
        """Read by every search, so on a plain connection (no ORM session: a third of the
        time; the same for ``views`` and ``samples``)."""
        with self.engine.connect() as conn:
            return set(conn.scalars(select(Episode.id).where(Episode.status == "indexed")))

    def select_episodes(
        self,
        *,
        show: str | None = None,
        show_id: int | None = None,
        tag: str | None = None,
        episode_id: int | None = None,
        indexed_only: bool = True,
    ) -> list[int]:
        q = _show_filter(select(Episode.id).join(Show), show, show_id, tag)
        if indexed_only:
            q = q.where(Episode.status == "indexed")
        if episode_id is not None:
            q = q.where(Episode.id == episode_id)
        with self.session() as s:
            return list(s.scalars(q))

    def select_shows(
        self, *, show: str | None = None, show_id: int | None = None, tag: str | None = None
    ) -> list[int]:
        """Ids of the shows a show/tag filter selects (for stores partitioned by show)."""
        q = _show_filter(select(Show.id), show, show_id, tag)
        with self.session() as s:
            return list(s.scalars(q))

    def views(self, ids: Collection[int]) -> dict[int, EpisodeView]:
        if not ids:
            return {}
        q = (
            select(
                Episode.id,
                Episode.filename,
                Episode.path,
                Episode.number,
                Episode.duration,
                Episode.link,
                Show.id,
                Show.title,
                Show.tag,
            )
            .join(Show)
            .where(Episode.id.in_(list(ids)))
        )
        with self.engine.connect() as conn:
            return {row[0]: EpisodeView(*row) for row in conn.execute(q)}

    def set_cuts(self, episode_id: int, times: Collection[float]) -> None:
        """Replace an episode's shot changes (seconds)."""
        with self.session() as s:
            s.execute(delete(Cut).where(Cut.episode_id == episode_id))
            s.add_all(Cut(episode_id=episode_id, time=float(t)) for t in sorted(set(times)))

    def cuts(self, episode_id: int) -> list[float]:
        """An episode's shot changes, in order (empty when unknown)."""
        with self.session() as s:
            q = select(Cut.time).where(Cut.episode_id == episode_id).order_by(Cut.time)
            return list(s.scalars(q))

    def set_samples(self, episode_id: int, samples: Collection[tuple[float, bytes]]) -> None:
        """Replace an episode's sampled-frame thumbnails: (seconds, thumbnail bytes) pairs."""
        rows = [{"episode_id": episode_id, "time": float(t), "thumb": b} for t, b in samples]
        with self.session() as s:
            s.execute(delete(Sample).where(Sample.episode_id == episode_id))
            if rows:
                s.execute(insert(Sample), rows)

    def samples(self, episode_id: int, lo: float, hi: float) -> list[tuple[float, bytes]]:
        """An episode's sampled-frame thumbnails from ``lo`` to ``hi`` seconds, in time order
        (empty for an episode indexed before they were kept)."""
        q = (
            select(Sample.time, Sample.thumb)
            .where(Sample.episode_id == episode_id, Sample.time.between(lo, hi))
            .order_by(Sample.time)
        )
        with self.engine.connect() as conn:
            return [(float(t), bytes(b)) for t, b in conn.execute(q)]

    def delete_episodes(self, ids: Collection[int]) -> None:
        if not ids:
            return
        with self.session() as s:
            s.execute(delete(Episode).where(Episode.id.in_(list(ids))))
            # Shows left without episodes go too.
            empty = (
                select(Show.id)
                .outerjoin(Episode)
                .group_by(Show.id)
                .having(func.count(Episode.id) == 0)
            )
            s.execute(delete(Show).where(Show.id.in_(empty.scalar_subquery())))

    def stats(self) -> CatalogStats:
        with self.session() as s:
            indexed = Episode.status == "indexed"
            return CatalogStats(
                shows=s.scalar(select(func.count(func.distinct(Episode.show_id))).where(indexed))
                or 0,
                episodes=s.scalar(select(func.count(Episode.id)).where(indexed)) or 0,
                frames=s.scalar(select(func.sum(Episode.frame_count)).where(indexed)) or 0,
                duration=s.scalar(select(func.sum(Episode.duration)).where(indexed)) or 0.0,
                failed=s.scalar(select(func.count(Episode.id)).where(Episode.status == "failed"))
                or 0,
            )

    def shows(self) -> list[tuple[int, str, str | None, int]]:
        """(id, title, tag, indexed episodes) for every show that has an indexed episode."""
        with self.session() as s:
            q = (
                select(Show.id, Show.title, Show.tag, func.count(Episode.id))
                .join(Episode)
                .where(Episode.status == "indexed")
                .group_by(Show.id)
                .order_by(Show.title)
            )
            return [(r[0], r[1], r[2], r[3]) for r in s.execute(q)]


def _show_filter[T: Select[Any]](q: T, show: str | None, show_id: int | None, tag: str | None) -> T:
    """``q`` narrowed to the shows a title, id and tag select (each optional)."""
    if show is not None:
        q = q.where(Show.title == show)
    if show_id is not None:
        q = q.where(Show.id == show_id)
    if tag is not None:
        q = q.where(Show.tag == tag)
    return q
