"""Anonymous searches, counted in the catalogue's database per IP bucket (an IPv4 address or
an IPv6 /64), so the 24-hour quota holds across restarts and across server processes, as a
key's does. The table is in the server's own schema (sabi.serve.tables).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

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
        since = now - DAY
        used_q = (
            select(func.count(AnonUsage.id))
            .where(AnonUsage.bucket == bucket, AnonUsage.at > since)
            .scalar_subquery()
        )
        _lock_bucket(s, bucket)
        taken = s.execute(
            insert(AnonUsage)
            .from_select(
                ["bucket", "at"], select(literal(bucket), literal(now)).where(used_q < quota)
            )
            .returning(AnonUsage.id)
        ).scalar()
        if taken is None:
            return None
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
