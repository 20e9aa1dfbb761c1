"""The per-minute request limit, counted in the catalogue's database (table ``rate_windows``)
so every server process on a library counts one minute for an address, not one each.

A fixed window: one row an address holds the current clock minute and its count, bumped by a
single upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), which PostgreSQL and SQLite
both run atomically: the row lock (PostgreSQL) or the database write lock (SQLite) orders
concurrent requests, so two processes cannot both take the last request of a minute. It runs in
the transaction that charges the search (sabi.serve.keys.Limiter.admit): one commit a search.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sabi.errors import RateLimited
from sabi.serve.tables import RateWindow

MINUTE = 60


@dataclass(frozen=True)
class RateInfo:
    limit: int
    remaining: int
    reset: int  # unix time


NO_LIMIT = RateInfo(0, 0, 0)


def count_request(s: Session, bucket: str, limit: int, now: float) -> RateInfo:
    """Count one request of ``bucket`` in the minute of ``now``; RateLimited (429) past
    ``limit`` (raised inside the transaction, it rolls the count back: refusals are free)."""
    minute = int(now // MINUTE * MINUTE)
    hits, current = _bump(s, bucket, minute)
    reset = current + MINUTE
    if hits > limit:
        raise RateLimited(
            f"too many requests: at most {limit} a minute; try again in a moment",
            max(1, reset - int(now)),
            limit,
        )
    if secrets.randbelow(500) == 0:  # now and then, forget addresses gone quiet
        s.execute(delete(RateWindow).where(RateWindow.minute < minute - MINUTE))
    return RateInfo(limit, limit - hits, reset)


def _bump(s: Session, bucket: str, minute: int) -> tuple[int, int]:
    """(hits, minute) of the bucket's row after counting one more."""
    conn = s.connection()  # Core, not the ORM: this runs on every search
    row = conn.execute(_upsert(conn.dialect.name), {"b": bucket, "m": minute}).one()
    return row.hits, row.minute


@cache
def _upsert(dialect: str) -> Any:
    """The upsert, built once (building it cost more than running it). A row of an earlier
    minute starts over; one of a later minute (another process's clock a little ahead) keeps
    its minute and counts on, so skewed clocks never reset each other's windows. PostgreSQL
    and SQLite: the catalogues the quotas' INSERT ... RETURNING supports too."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(RateWindow).values(bucket=bindparam("b"), minute=bindparam("m"), hits=1)
    return stmt.on_conflict_do_update(
        index_elements=[RateWindow.bucket], set_=_counted(stmt.excluded.minute)
    ).returning(RateWindow.hits, RateWindow.minute)


def _counted(minute: Any) -> dict[str, Any]:
    """The SET clause counting one request in ``minute`` (both read the row as it was)."""
    later = RateWindow.minute >= minute
    return {
        "hits": case((later, RateWindow.hits + 1), else_=1),
        "minute": case((later, RateWindow.minute), else_=minute),
    }
