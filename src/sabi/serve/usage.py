"""Anonymous searches, counted in the catalogue's database per IP bucket (an IPv4 address or
an IPv6 /64), so the 24-hour quota holds across restarts, as a key's does.

The table is the server's own (registered with sabi.catalog.migrations.register_schema, like
the Bilibili feature's), made when a server first opens the catalogue.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, DateTime, Integer, String, delete, func, insert, literal, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from sabi.catalog import Catalog
from sabi.catalog.migrations import register_schema
from sabi.errors import QuotaSpent

SCHEMA = "serve"
DAY = timedelta(days=1)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """The server's own tables, apart from the catalogue's."""


class AnonUsage(Base):
    """One search made without a key, for its address's rolling 24-hour quota."""

    __tablename__ = "anon_usage"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


def _v1_anon_usage(conn: Connection) -> None:
    Base.metadata.create_all(conn, tables=[Base.metadata.tables[AnonUsage.__tablename__]])


#: The server's schema steps (append, never edit: see sabi.catalog.migrations).
SCHEMA_STEPS = [_v1_anon_usage]
# Registered on import: every process that counts anonymous searches imports this module (via
# sabi.serve.keys) before it opens the catalogue (ServerState, `sabi keys`).
register_schema(SCHEMA, SCHEMA_STEPS)


def _lock_bucket(s: Session, bucket: str) -> None:
    """PostgreSQL: serialise charges of one bucket (READ COMMITTED would let two conditional
    inserts count the same rows). SQLite runs each statement under its database write lock."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(sql_text("SELECT pg_advisory_xact_lock(hashtext(:b))"), {"b": bucket})


class AnonUsageStore:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def charge(self, bucket: str, quota: int, now: datetime | None = None) -> tuple[int, int]:
        """Count one search: (row id, searches used in 24 h, this one included); QuotaSpent."""
        now = now or _utcnow()
        since = now - DAY
        used_q = (
            select(func.count(AnonUsage.id))
            .where(AnonUsage.bucket == bucket, AnonUsage.at > since)
            .scalar_subquery()
        )
        with self.catalog.session() as s:
            _lock_bucket(s, bucket)
            taken = s.execute(
                insert(AnonUsage)
                .from_select(
                    ["bucket", "at"], select(literal(bucket), literal(now)).where(used_q < quota)
                )
                .returning(AnonUsage.id)
            ).scalar()
            if taken is None:
                raise QuotaSpent(
                    f"the search quota for your address ({quota} per 24 hours) is used up; "
                    "ask the operator for an API key"
                )
            if secrets.randbelow(200) == 0:  # now and then, forget old usage
                s.execute(delete(AnonUsage).where(AnonUsage.at <= since))
            return taken, self._count(s, bucket, since)

    def refund(self, usage_id: int) -> None:
        with self.catalog.session() as s:
            s.execute(delete(AnonUsage).where(AnonUsage.id == usage_id))

    def used(self, bucket: str, now: datetime | None = None) -> int:
        with self.catalog.session() as s:
            return self._count(s, bucket, (now or _utcnow()) - DAY)

    @staticmethod
    def _count(s: Session, bucket: str, since: datetime) -> int:
        q = select(func.count(AnonUsage.id)).where(AnonUsage.bucket == bucket, AnonUsage.at > since)
        return s.scalar(q) or 0
