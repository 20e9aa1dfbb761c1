"""API keys and who may search how much: per-key quotas, per-IP limits for everyone else.

Keys live in the catalogue's database (only their SHA-256 is stored), so ``sabi keys`` and the
server share them. A key's quota counts its searches over a rolling 24 hours, in SQL, so it
holds across restarts; so does the anonymous quota, per IP address (IPv6 per /64, since one
host is handed a whole /64), in the server's own table (sabi.serve.usage), and the per-minute
rate limit (sabi.serve.rates). Nothing is counted in process memory: any number of server
processes on one catalogue (API replicas) count the same searches.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import DateTime, Integer, Select, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from sabi.catalog import Catalog
from sabi.catalog.models import ApiKey, ApiUsage
from sabi.errors import BadKey, QuotaSpent
from sabi.serve.rates import NO_LIMIT, RateInfo, count_request
from sabi.serve.usage import AnonUsageStore, spent
from sabi.settings import Settings

__all__ = [
    "Admission",
    "Caller",
    "Charge",
    "KeyInfo",
    "KeyStore",
    "Limiter",
    "RateInfo",
    "ip_bucket",
]

DAY = 86400.0


@dataclass(frozen=True)
class KeyInfo:
    id: int
    name: str
    prefix: str
    quota: int
    created_at: datetime
    revoked: bool


@dataclass(frozen=True)
class Caller:
    """Who is asking: ``id`` is what /me reports (the key's name, or the IP bucket)."""

    id: str
    ip: str
    key_id: int | None = None
    quota: int = 0
    admin: bool = False


@dataclass(frozen=True)
class Charge:
    """One search taken from a quota: what the answer reports, and how to give it back."""

    quota: int
    used: int
    usage_id: int | None = None  # the row counting it: ApiUsage, or AnonUsage if anonymous
    anonymous: bool = False


@dataclass(frozen=True)
class Admission:
    """A search let in: its place in the minute's limit, and the search it took from a quota."""

    rate: RateInfo
    charge: Charge


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def ip_bucket(ip: str) -> str:
    """The unit anonymous limits count: an IPv4 address, or an IPv6 /64."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip or "unknown"
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


class KeyStore:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog  # its migrations made the tables (ApiKey, ApiUsage)

    def create(self, name: str, quota: int) -> tuple[KeyInfo, str]:
        """A new key; the returned secret is not stored and cannot be shown again."""
        secret = "sabi_" + secrets.token_urlsafe(24)
        with self.catalog.session() as s:
            row = ApiKey(name=name, key_hash=hash_key(secret), prefix=secret[:9], quota=quota)
            s.add(row)
            s.flush()
            return _info(row), secret

    def list(self) -> list[KeyInfo]:
        with self.catalog.session() as s:
            return [_info(r) for r in s.scalars(select(ApiKey).order_by(ApiKey.id))]

    def revoke(self, key_id: int) -> bool:
        with self.catalog.session() as s:
            row = s.get(ApiKey, key_id)
            if row is None or row.revoked:
                return False
            row.revoked = True
            return True

    def find(self, secret: str) -> KeyInfo | None:
        with self.catalog.session() as s:
            row = s.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))
            return _info(row) if row is not None and not row.revoked else None

    def used(self, key_id: int) -> int:
        since = _utcnow() - timedelta(seconds=DAY)
        with self.catalog.session() as s:
            q = select(func.count(ApiUsage.id)).where(
                ApiUsage.key_id == key_id, ApiUsage.at > since
            )
            return s.scalar(q) or 0

    def charge(self, key_id: int, quota: int) -> tuple[int, int]:
        """Count one search against the key: (usage row id, searches used, this one included);
        QuotaSpent if its 24 h quota is used up."""
        with self.catalog.session() as s:
            taken = self.take(s, key_id, quota)
        if taken is None:
            raise key_spent(quota)
        return taken

    def take(self, s: Session, key_id: int, quota: int) -> tuple[int, int] | None:
        """``charge`` inside the caller's transaction; None when the quota is used up.

        The count and the insert are one statement (INSERT ... SELECT ... WHERE count < quota)
        after the key's row is locked (FOR UPDATE, on PostgreSQL, whose READ COMMITTED would
        let two such statements both count the same rows), so two requests at once, in one
        process or two, cannot both take the last search. SQLite runs the one statement under
        its database write lock.
        """
        now = _utcnow()
        params = {"k": key_id, "now": now, "since": now - timedelta(seconds=DAY), "quota": quota}
        conn = s.connection()  # Core, with statements built once: this runs on every search
        if conn.dialect.name != "sqlite":  # SQLite: the one INSERT is atomic
            conn.execute(select(ApiKey.id).where(ApiKey.id == key_id).with_for_update())
        taken = conn.execute(_take_stmt(), params).scalar()
        if taken is None:
            return None
        if secrets.randbelow(200) == 0:  # now and then, forget old usage
            conn.execute(delete(ApiUsage).where(ApiUsage.at <= params["since"]))
        return taken, conn.execute(_used_stmt(), params).scalar() or 1

    def refund(self, usage_id: int) -> None:
        """Give a charged search back (it did not run: busy, bad input, client gone)."""
        with self.catalog.session() as s:
            s.execute(delete(ApiUsage).where(ApiUsage.id == usage_id))


@cache
def _used_stmt() -> Select[int]:
    """Searches of key ``k`` since ``since``."""
    return select(func.count(ApiUsage.id)).where(
        ApiUsage.key_id == bindparam("k", type_=Integer), ApiUsage.at > bindparam("since")
    )


@cache
def _take_stmt() -> ReturningInsert[int]:
    """One search of key ``k`` at ``now``, inserted only while fewer than ``quota`` were made
    since ``since``: the count and the insert are one statement."""
    k, now = bindparam("k", type_=Integer), bindparam("now", type_=DateTime)
    used = _used_stmt().scalar_subquery()
    return (
        insert(ApiUsage)
        .from_select(["key_id", "at"], select(k, now).where(used < bindparam("quota")))
        .returning(ApiUsage.id)
    )


def key_spent(quota: int) -> QuotaSpent:
    return QuotaSpent(f"this key's quota of {quota} searches per 24 hours is used up")


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(row.id, row.name, row.prefix, row.quota, row.created_at, row.revoked)


class Limiter:
    """Decides who is calling and whether they may search now. Holds no counts itself: they
    are in the database, shared by every server process on the catalogue."""

    def __init__(self, settings: Settings, keys: KeyStore):
        self.settings = settings
        self.keys = keys
        self.anon = AnonUsageStore(keys.catalog)

    def identify(self, key: str | None, ip: str) -> Caller:
        bucket = ip_bucket(ip)
        if not key:
            return Caller(id=bucket, ip=bucket, quota=self.settings.anonymous_quota)
        admin = self.settings.admin_key
        if admin and hmac.compare_digest(key.encode(), admin.encode()):
            return Caller(id="admin", ip=bucket, quota=0, admin=True)
        info = self.keys.find(key)
        if info is None:
            raise BadKey("the API key is not valid")
        return Caller(id=info.name, ip=bucket, key_id=info.id, quota=info.quota)

    def admit(self, caller: Caller, now: float | None = None) -> Admission:
        """Let one search in: count it in the caller's IP minute window (RateLimited, 429, past
        ``rate_limit``) and take it from the caller's quota (QuotaSpent, 402), in one
        transaction (one commit a search, as the charge alone was). Give the search back with
        ``refund`` if it does not run to the end. A search refused for its quota still counts
        in the minute; one refused by the minute's limit is not charged."""
        if caller.admin:
            return Admission(NO_LIMIT, Charge(0, 0))
        now = time.time() if now is None else now
        limit = self.settings.rate_limit
        with self.keys.catalog.session() as s:
            rate = count_request(s, caller.ip, limit, now) if limit > 0 else NO_LIMIT
            charge = self._take(s, caller)
        if charge is None:
            raise self._spent(caller)
        return Admission(rate, charge)

    def _take(self, s: Session, caller: Caller) -> Charge | None:
        if caller.key_id is not None:
            taken = self.keys.take(s, caller.key_id, caller.quota)
            return None if taken is None else Charge(caller.quota, taken[1], usage_id=taken[0])
        quota = self.settings.anonymous_quota
        taken = self.anon.take(s, caller.ip, quota)
        return None if taken is None else Charge(quota, taken[1], taken[0], anonymous=True)

    def _spent(self, caller: Caller) -> QuotaSpent:
        if caller.key_id is not None:
            return key_spent(caller.quota)
        return spent(self.settings.anonymous_quota)

    def refund(self, charge: Charge) -> None:
        """Give back a search that did not run (busy, undecodable, client gone)."""
        if charge.usage_id is None:
            return
        if charge.anonymous:
            self.anon.refund(charge.usage_id)
        else:
            self.keys.refund(charge.usage_id)

    def used(self, caller: Caller) -> int:
        if caller.admin:
            return 0
        if caller.key_id is not None:
            return self.keys.used(caller.key_id)
        return self.anon.used(caller.ip)
