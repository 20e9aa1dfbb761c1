"""The per-minute count is atomic across processes: requests at once through two catalogue
connections (two engines, as two server processes hold) never pass the limit together."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from sabi.catalog import Catalog
from sabi.errors import QuotaSpent, RateLimited
from sabi.serve.keys import KeyStore, Limiter
from sabi.settings import Settings

NOW = 1_800_000_010.0  # 10 s into a minute


def _race(url: str, tmp_path, limit: int, tries: int) -> tuple[int, int]:
    """``tries`` admissions at once of one address, half through each engine: (let in, 429s)."""
    settings = Settings(data_dir=tmp_path, rate_limit=limit, anonymous_quota=1000)
    catalogs = [Catalog(url), Catalog(url)]
    try:
        limiters = [Limiter(settings, KeyStore(c)) for c in catalogs]
        who = limiters[0].identify(None, "203.0.113.9")
        start = threading.Barrier(tries)

        def one(i: int) -> bool:
            start.wait()
            try:
                limiters[i % 2].admit(who, now=NOW)
            except RateLimited:
                return False
            return True

        with ThreadPoolExecutor(tries) as ex:
            passed = sum(ex.map(one, range(tries)))
        assert limiters[1].used(who) == passed  # the refused ones were not charged
        return passed, tries - passed
    finally:
        for c in catalogs:
            c.close()


def test_rate_count_is_atomic_sqlite(tmp_path):
    assert _race(f"sqlite:///{tmp_path / 'c.db'}", tmp_path, limit=3, tries=12) == (3, 9)


def test_rate_count_is_atomic_postgres(replica_pg, tmp_path):
    assert _race(replica_pg, tmp_path, limit=3, tries=12) == (3, 9)


def test_a_spent_quota_still_counts_in_the_minute(tmp_path):
    settings = Settings(data_dir=tmp_path, rate_limit=2, anonymous_quota=1)
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        limiter = Limiter(settings, KeyStore(catalog))
        who = limiter.identify(None, "203.0.113.10")
        assert limiter.admit(who, now=NOW).rate.remaining == 1
        with pytest.raises(QuotaSpent):
            limiter.admit(who, now=NOW + 1)
        with pytest.raises(RateLimited):  # the refused search was the minute's second request
            limiter.admit(who, now=NOW + 2)
    finally:
        catalog.close()
