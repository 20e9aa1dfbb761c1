"""Anonymous searches, counted in the catalogue's database per IP bucket (an IPv4 address or
an IPv6 /64), so the 24-hour quota holds across restarts and across server processes, as a
key's does. The table is in the server's own schema (sabi.serve.tables).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import (
    DateTime,
    Select,
    String,
    bindparam,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from sabi.catalog import Catalog
from sabi.errors import QuotaSpent
from sabi.serve.tables import AnonUsage

__all__ = ["AnonUsage", "AnonUsageStore"]

DAY = timedelta(days=1)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _lock_bucket(s: Session, bucket: str) -> None:
    """PostgreSQL: serialise charges of one bucket (READ COMMITTED would let two conditional
    inserts count the same rows). SQLite runs each statement under its database write lock."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(sql_text("SELECT pg_advisory_xact_lock(hashtext(:b))"), {"b": bucket})


def spent(quota: int) -> QuotaSpent:
    return QuotaSpent(
        f"the search quota for your address ({quota} per 24 hours) is used up; "
        "ask the operator for an API key"
    )


class AnonUsageStore:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def charge(self, bucket: str, quota: int, now: datetime | None = None) -> tuple[int, int]:
        """Count one search: (row id, searches used in 24 h, this one included); QuotaSpent."""
        with self.catalog.session() as s:
            taken = self.take(s, bucket, quota, now)
        if taken is None:
            raise spent(quota)
        return taken

    def take(
        self, s: Session, bucket: str, quota: int, now: datetime | None = None
    ) -> tuple[int, int] | None:
        """``charge`` inside the caller's transaction (so a request's rate count and its
        charge are one commit); None when the quota is used up."""
        now = now or _utcnow()
        params = {"b": bucket, "now": now, "since": now - DAY, "quota": quota}
        _lock_bucket(s, bucket)
        conn = s.connection()  # Core, with statements built once: this runs on every search
        taken = conn.execute(_take_stmt(), params).scalar()
        if taken is None:
            return None
        if secrets.randbelow(200) == 0:  # now and then, forget old usage
            conn.execute(delete(AnonUsage).where(AnonUsage.at <= params["since"]))
        return taken, conn.execute(_count_stmt(), params).scalar() or 0

    def refund(self, usage_id: int) -> None:
        with self.catalog.session() as s:
            s.execute(delete(AnonUsage).where(AnonUsage.id == usage_id))

    def used(self, bucket: str, now: datetime | None = None) -> int:
        with self.catalog.session() as s:
            return self._count(s, bucket, (now or _utcnow()) - DAY)

    @staticmethod
    def _count(s: Session, bucket: str, since: datetime) -> int:
        return s.connection().execute(_count_stmt(), {"b": bucket, "since": since}).scalar() or 0


@cache
def _count_stmt() -> Select[int]:
    """Searches of bucket ``b`` since ``since``."""
    return select(func.count(AnonUsage.id)).where(
        AnonUsage.bucket == bindparam("b", type_=String), AnonUsage.at > bindparam("since")
    )


@cache
def _take_stmt() -> ReturningInsert[int]:
    """One search of bucket ``b`` at ``now``, inserted only while fewer than ``quota`` were
    made since ``since``: the count and the insert are one statement."""
    b, now = bindparam("b", type_=String), bindparam("now", type_=DateTime)
    used = _count_stmt().scalar_subquery()
    return (
        insert(AnonUsage)
        .from_select(["bucket", "at"], select(b, now).where(used < bindparam("quota")))
        .returning(AnonUsage.id)
    )
