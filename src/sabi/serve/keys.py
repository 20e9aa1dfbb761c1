"""API keys and who may search how much: per-key quotas, per-IP limits for everyone else.

Keys live in the catalogue's database (only their SHA-256 is stored), so ``sabi keys`` and the
server share them. A key's quota counts its searches over a rolling 24 hours, in SQL, so it
holds across restarts; so does the anonymous quota, per IP address (IPv6 per /64, since one
host is handed a whole /64), in the server's own table (sabi.serve.usage). The per-minute
rate limit is counted in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, literal, select

from sabi.catalog import Catalog
from sabi.catalog.models import ApiKey, ApiUsage
from sabi.errors import BadKey, QuotaSpent, RateLimited
from sabi.serve.usage import AnonUsageStore
from sabi.settings import Settings

DAY = 86400.0
MINUTE = 60.0


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
class RateInfo:
    limit: int
    remaining: int
    reset: int  # unix time


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
        QuotaSpent if its 24 h quota is used up.

        The count and the insert are one statement (INSERT ... SELECT ... WHERE count < quota)
        after the key's row is locked (FOR UPDATE, on PostgreSQL, whose READ COMMITTED would
        let two such statements both count the same rows), so two requests at once cannot both
        take the last search. SQLite runs the one statement under its database write lock.
        """
        now = _utcnow()
        since = now - timedelta(seconds=DAY)
        used_q = (
            select(func.count(ApiUsage.id))
            .where(ApiUsage.key_id == key_id, ApiUsage.at > since)
            .scalar_subquery()
        )
        with self.catalog.session() as s:
            if s.get_bind().dialect.name != "sqlite":  # SQLite: the one INSERT is atomic
                s.execute(select(ApiKey.id).where(ApiKey.id == key_id).with_for_update())
            taken = s.execute(
                insert(ApiUsage)
                .from_select(
                    ["key_id", "at"],
                    select(literal(key_id), literal(now)).where(used_q < quota),
                )
                .returning(ApiUsage.id)
            ).scalar()
            if taken is None:
                raise QuotaSpent(f"this key's quota of {quota} searches per 24 hours is used up")
            used = s.scalar(
                select(func.count(ApiUsage.id)).where(
                    ApiUsage.key_id == key_id, ApiUsage.at > since
                )
            )
            if secrets.randbelow(200) == 0:  # now and then, forget old usage
                s.execute(delete(ApiUsage).where(ApiUsage.at <= since))
            return taken, used or 1

    def refund(self, usage_id: int) -> None:
        """Give a charged search back (it did not run: busy, bad input, client gone)."""
        with self.catalog.session() as s:
            s.execute(delete(ApiUsage).where(ApiUsage.id == usage_id))


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(row.id, row.name, row.prefix, row.quota, row.created_at, row.revoked)


class Limiter:
    """Decides who is calling and whether they may search now."""

    def __init__(self, settings: Settings, keys: KeyStore):
        self.settings = settings
        self.keys = keys
        self._lock = threading.Lock()
        self._rate: dict[str, tuple[float, int]] = {}  # bucket -> (window start, count)
        self.anon = AnonUsageStore(keys.catalog)
        self._last_prune = time.monotonic()

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

    def rate(self, caller: Caller, now: float | None = None) -> RateInfo:
        """Count a request in the caller's IP minute window; RateLimited (429) past the limit."""
        limit = self.settings.rate_limit
        now = time.time() if now is None else now
        if limit <= 0 or caller.admin:
            return RateInfo(0, 0, 0)
        window = now - now % MINUTE
        with self._lock:
            self._prune(now)
            start, count = self._rate.get(caller.ip, (window, 0))
            if start != window:
                start, count = window, 0
            reset = int(start + MINUTE)
            if count >= limit:
                raise RateLimited(
                    f"too many requests: at most {limit} a minute; try again in a moment",
                    max(1, reset - int(now)),
                    limit,
                )
            self._rate[caller.ip] = (start, count + 1)
            return RateInfo(limit, limit - count - 1, reset)

    def charge(self, caller: Caller) -> Charge:
        """Take one search from the caller's quota (QuotaSpent: 402) before it runs; give it
        back with ``refund`` if the search does not run to the end."""
        if caller.admin:
            return Charge(0, 0)
        if caller.key_id is not None:
            usage_id, used = self.keys.charge(caller.key_id, caller.quota)
            return Charge(caller.quota, used, usage_id=usage_id)
        quota = self.settings.anonymous_quota
        usage_id, used = self.anon.charge(caller.ip, quota)
        return Charge(quota, used, usage_id=usage_id, anonymous=True)

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

    def _prune(self, now: float) -> None:
        if time.monotonic() - self._last_prune < 300:
            return
        self._last_prune = time.monotonic()
        window = now - now % MINUTE
        self._rate = {k: v for k, v in self._rate.items() if v[0] == window}
