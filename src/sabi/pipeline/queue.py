"""The indexing job queue: one row per video file in the catalogue's database.

Workers on any number of machines share it. A worker *claims* a job by taking its row with
``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL: concurrent claimers skip each other's locked
row instead of waiting for it) and setting it running under a *lease* in the same transaction.
The worker renews the lease while it works; a job whose lease ran out (its worker died) is
claimable again. Every write a worker makes to its job names the worker and requires that it
still holds the lease, so a worker that lost its job (stalled past the lease, then woke up) can
neither complete nor fail it: the new holder's word counts.

SQLite has no ``FOR UPDATE`` (SQLAlchemy leaves it out) but runs one writer at a time; the claim's
conditional UPDATE (state and lease checked again in its WHERE) keeps it correct there too.

Clocks: leases are UTC times written by the workers, so machines that share a queue need their
clocks in step (NTP), to well within the lease length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    Update,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from sabi.acquire.local import find_videos
from sabi.catalog import Catalog
from sabi.catalog.migrations import register_schema
from sabi.pipeline.indexer import guess_show

SCHEMA = "queue"
STATES = ("queued", "running", "done", "failed")
#: Claims a job gets before it is left failed: a file whose indexing failed (or whose worker died)
#: this many times is not tried again until it is enqueued again.
MAX_ATTEMPTS = 3


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """The queue's own tables, apart from the catalogue's."""


class IndexJob(Base):
    """One video file to index, with what the user said about it (show, tag, episode, link)."""

    __tablename__ = "index_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(4096), unique=True)
    show: Mapped[str] = mapped_column(String(512))
    tag: Mapped[str | None] = mapped_column(String(128))
    episode: Mapped[float | None] = mapped_column(Float)
    link: Mapped[str | None] = mapped_column(String(1024))
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(256))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    episode_id: Mapped[int | None] = mapped_column(Integer)  # the catalogue's, once done
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


def _v1_jobs(conn: Connection) -> None:
    Base.metadata.create_all(conn, tables=[Base.metadata.tables[IndexJob.__tablename__]])


#: The queue's schema steps (append, never edit: see sabi.catalog.migrations).
SCHEMA_STEPS = [_v1_jobs]
# Registered on import: sabi.app imports this module, so every process that opens a catalogue
# through it has the table.
register_schema(SCHEMA, SCHEMA_STEPS)


@dataclass(frozen=True)
class JobView:
    """A plain copy of one row, safe outside a session."""

    id: int
    path: str
    show: str
    tag: str | None
    episode: float | None
    link: str | None
    state: str
    attempts: int
    worker: str | None
    lease_until: datetime | None
    error: str | None
    episode_id: int | None

    @classmethod
    def of(cls, j: IndexJob) -> JobView:
        return cls(
            j.id,
            j.path,
            j.show,
            j.tag,
            j.episode,
            j.link,
            j.state,
            j.attempts,
            j.worker,
            j.lease_until,
            j.error,
            j.episode_id,
        )


@dataclass
class EnqueueReport:
    added: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)  # done or failed before: checked again
    already: list[str] = field(default_factory=list)  # queued or running: left as it is


@dataclass(frozen=True)
class QueueStatus:
    counts: dict[str, int]
    running: list[JobView]
    failed: list[JobView]

    def as_dict(self) -> dict[str, object]:
        def one(j: JobView) -> dict[str, object]:
            return {
                "id": j.id,
                "path": j.path,
                "show": j.show,
                "state": j.state,
                "attempts": j.attempts,
                "worker": j.worker,
                "lease_until": _iso(j.lease_until),
                "error": j.error,
                "episode_id": j.episode_id,
            }

        return {
            "counts": self.counts,
            "running": [one(j) for j in self.running],
            "failed": [one(j) for j in self.failed],
        }


def _iso(t: datetime | None) -> str | None:
    return t.replace(tzinfo=UTC).isoformat() if t is not None else None


class JobQueue:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def enqueue(
        self,
        files: Iterable[tuple[Path, str]],
        *,
        tag: str | None = None,
        episode: float | None = None,
        link: str | None = None,
    ) -> EnqueueReport:
        """One job per (video file, show title); a file already there is not added twice. A
        done or failed job is queued again (its worker finds an unchanged file unchanged)."""
        report = EnqueueReport()
        for path, show in files:
            # The show row is made here, by one process, so that workers only ever find it
            # (two workers making the same new show at once would collide on its unique title).
            self.catalog.ensure_show(show, tag)
            with self.catalog.session() as s:
                job = s.scalar(select(IndexJob).where(IndexJob.path == str(path)))
                if job is None:
                    s.add(IndexJob(path=str(path), show=show, tag=tag, episode=episode, link=link))
                    report.added.append(str(path))
                    continue
                if job.state in ("queued", "running"):
                    report.already.append(str(path))
                    if job.state == "running":
                        continue
                else:
                    report.requeued.append(str(path))
                job.show, job.tag, job.episode, job.link = show, tag, episode, link
                job.state, job.attempts, job.error = "queued", 0, None
                job.worker, job.lease_until, job.finished_at = None, None, None
        return report

    def claim(self, worker: str, lease: float, now: datetime | None = None) -> JobView | None:
        """The oldest claimable job, now running under ``worker``'s lease; None when none is.

        A job whose lease expired after its last allowed attempt is failed, not claimed."""
        while True:
            now = now or utcnow()
            claimable = or_(
                IndexJob.state == "queued",
                and_(IndexJob.state == "running", IndexJob.lease_until < now),
            )
            with self.catalog.session() as s:
                job = s.scalar(
                    select(IndexJob)
                    .where(claimable)
                    .order_by(IndexJob.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
                if job is None:
                    return None
                if job.attempts >= MAX_ATTEMPTS:
                    lost = f"its worker ({job.worker}) stopped answering"
                    values: dict[str, object] = {
                        "state": "failed",
                        "error": f"{job.error or lost}; gave up after {job.attempts} attempts",
                        "finished_at": now,
                        "lease_until": None,
                    }
                else:
                    values = {
                        "state": "running",
                        "worker": worker,
                        "attempts": job.attempts + 1,
                        "lease_until": now + timedelta(seconds=lease),
                        "started_at": now,
                    }
                # Checked again in the WHERE: on SQLite, without FOR UPDATE, this is the claim.
                taken = _changed(
                    s,
                    sql_update(IndexJob)
                    .where(IndexJob.id == job.id, claimable, IndexJob.attempts == job.attempts)
                    .values(**values),
                )
                if taken and values["state"] == "running":
                    s.flush()
                    s.refresh(job)
                    return JobView.of(job)

    def _held(self, job_id: int, worker: str, now: datetime) -> ColumnElement[bool]:
        return and_(
            IndexJob.id == job_id,
            IndexJob.state == "running",
            IndexJob.worker == worker,
            IndexJob.lease_until >= now,
        )

    def renew(self, job_id: int, worker: str, lease: float) -> bool:
        """Extend the lease; False when ``worker`` no longer holds the job (it expired and
        another worker took it, or it was released)."""
        now = utcnow()
        with self.catalog.session() as s:
            n = _changed(
                s,
                sql_update(IndexJob)
                .where(self._held(job_id, worker, now))
                .values(lease_until=now + timedelta(seconds=lease)),
            )
        return bool(n)

    def complete(self, job_id: int, worker: str, episode_id: int | None) -> bool:
        """Mark done, if ``worker`` still holds the job; False (and nothing written) if not."""
        return self._finish(job_id, worker, state="done", episode_id=episode_id, error=None)

    def fail(self, job_id: int, worker: str, error: str) -> bool:
        """Record a failed attempt: queued again while attempts remain, else failed."""
        with self.catalog.session() as s:
            job = s.get(IndexJob, job_id)
            attempts = job.attempts if job is not None else MAX_ATTEMPTS
        state = "failed" if attempts >= MAX_ATTEMPTS else "queued"
        return self._finish(job_id, worker, state=state, error=error)

    def release(self, job_id: int, worker: str) -> bool:
        """Give a job back untried (the worker was asked to stop): queued, the attempt not
        counted."""
        return self._finish(
            job_id, worker, state="queued", attempts=IndexJob.attempts - 1, finished_at=None
        )

    def _finish(self, job_id: int, worker: str, **values: object) -> bool:
        now = utcnow()
        values.setdefault("finished_at", now)
        with self.catalog.session() as s:
            n = _changed(
                s,
                sql_update(IndexJob)
                .where(self._held(job_id, worker, now))
                .values(lease_until=None, **values),
            )
        return bool(n)

    def get(self, job_id: int) -> JobView | None:
        with self.catalog.session() as s:
            job = s.get(IndexJob, job_id)
            return JobView.of(job) if job is not None else None

    def by_path(self, path: str) -> JobView | None:
        with self.catalog.session() as s:
            job = s.scalar(select(IndexJob).where(IndexJob.path == path))
            return JobView.of(job) if job is not None else None

    def jobs(self) -> list[JobView]:
        with self.catalog.session() as s:
            return [JobView.of(j) for j in s.scalars(select(IndexJob).order_by(IndexJob.id))]

    def pending(self) -> int:
        """Jobs not finished: queued, or running (under some worker's lease, live or not)."""
        with self.catalog.session() as s:
            q = select(func.count(IndexJob.id)).where(IndexJob.state.in_(("queued", "running")))
            return s.scalar(q) or 0

    def status(self) -> QueueStatus:
        with self.catalog.session() as s:
            rows = s.execute(select(IndexJob.state, func.count()).group_by(IndexJob.state))
            counts = dict.fromkeys(STATES, 0) | {state: n for state, n in rows}
            running = s.scalars(
                select(IndexJob).where(IndexJob.state == "running").order_by(IndexJob.id)
            )
            failed = s.scalars(
                select(IndexJob).where(IndexJob.state == "failed").order_by(IndexJob.id)
            )
            return QueueStatus(
                counts, [JobView.of(j) for j in running], [JobView.of(j) for j in failed]
            )


def _changed(s: Session, stmt: Update) -> int:
    """Rows an UPDATE changed."""
    result = s.execute(stmt)
    return cast(CursorResult[Any], result).rowcount


def files_of(targets: Iterable[Path], show: str | None) -> list[tuple[Path, str]]:
    """Each video file under ``targets`` with its show title: ``show``, or guessed from the
    folder or file name as ``sabi index`` guesses it."""
    return [
        (path, show or guess_show(path, target))
        for target in targets
        for path in find_videos([target])
    ]
