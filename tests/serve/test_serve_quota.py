"""Quotas are charged only for searches that ran, and never overspent by concurrent requests."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from serve_live import hold_searches

from sabi.catalog import Catalog
from sabi.errors import QuotaSpent
from sabi.serve.keys import KeyStore


def test_failed_searches_cost_nothing(make_server, index_copy, bunny_frame):
    """A 400 (not an image) and a 503 (busy) leave the quota as it was."""
    live = make_server(data_dir=index_copy, anonymous_quota=1, search_workers=1, search_queue=0)
    key = live.state.keys.create("bot", 1)[1]
    for who in ({}, {"x-trace-key": key}):
        r = httpx.post(f"{live.url}/search", content=b"not an image at all", headers=who)
        assert r.status_code == 400, r.text
        assert httpx.get(f"{live.url}/me", headers=who).json()["quotaUsed"] == 0
        r = httpx.post(f"{live.url}/search", content=bunny_frame[1], headers=who, timeout=60)
        assert r.status_code == 200 and r.json()["quotaUsed"] == 1


def test_busy_search_costs_nothing(make_server, index_copy, bunny_frame, monkeypatch):
    live = make_server(data_dir=index_copy, anonymous_quota=2, search_workers=1, search_queue=0)
    entered, release = hold_searches(live, monkeypatch)
    with ThreadPoolExecutor(1) as ex:
        first = ex.submit(httpx.post, f"{live.url}/search", content=bunny_frame[1], timeout=60)
        assert entered.wait(30)
        busy = httpx.post(f"{live.url}/search", content=bunny_frame[1])
        release.set()
        assert first.result().status_code == 200
    assert busy.status_code == 503
    assert httpx.get(f"{live.url}/me").json()["quotaUsed"] == 1


def _race(url: str, quota: int, tries: int) -> tuple[int, int]:
    """``tries`` charges at once against a key with ``quota``: (granted, refused)."""
    catalog = Catalog(url)
    try:
        keys = KeyStore(catalog)
        info, _ = keys.create("racer", quota)
        start = threading.Barrier(tries)

        def one(_: int) -> bool:
            start.wait()
            try:
                keys.charge(info.id, quota)
            except QuotaSpent:
                return False
            return True

        with ThreadPoolExecutor(tries) as ex:
            got = list(ex.map(one, range(tries)))
        assert keys.used(info.id) == sum(got)
        return sum(got), tries - sum(got)
    finally:
        catalog.close()


def test_key_quota_is_atomic_sqlite(tmp_path):
    assert _race(f"sqlite:///{tmp_path / 'c.db'}", quota=3, tries=12) == (3, 9)


def test_key_quota_is_atomic_postgres(pg_url):
    assert _race(pg_url, quota=3, tries=12) == (3, 9)


def test_refund_gives_the_search_back(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.db'}")
    keys = KeyStore(catalog)
    info, _ = keys.create("k", 1)
    usage, used = keys.charge(info.id, 1)
    assert used == 1
    with pytest.raises(QuotaSpent):
        keys.charge(info.id, 1)
    keys.refund(usage)
    assert keys.used(info.id) == 0
    catalog.close()


def test_full_pool_refuses_before_the_upload(make_server, index_copy, bunny_frame, monkeypatch):
    """With every slot taken, a 503 comes as soon as the headers are in: the server does not
    wait for a body it could not search (here, one that never finishes arriving)."""
    import socket

    live = make_server(search_workers=1, search_queue=0)
    entered, release = hold_searches(live, monkeypatch)
    with ThreadPoolExecutor(1) as ex:
        first = ex.submit(httpx.post, f"{live.url}/search", content=bunny_frame[1], timeout=60)
        assert entered.wait(30)
        try:
            with socket.create_connection(("127.0.0.1", live.port), timeout=20) as sock:
                head = (
                    "POST /search HTTP/1.1\r\nhost: x\r\ncontent-type: image/jpeg\r\n"
                    "content-length: 20000000\r\n\r\n"
                )
                sock.sendall(head.encode() + b"\xff" * 1000)
                answer = sock.recv(65536)
        finally:
            release.set()
        assert first.result().status_code == 200
    assert answer.startswith(b"HTTP/1.1 503"), answer[:200]


def test_anonymous_quota_survives_a_restart(make_server, index_copy, bunny_frame):
    first = make_server(data_dir=index_copy, anonymous_quota=1)
    assert httpx.post(f"{first.url}/search", content=bunny_frame[1]).status_code == 200
    first.stop()
    again = make_server(data_dir=index_copy, anonymous_quota=1)
    assert httpx.get(f"{again.url}/me").json()["quotaUsed"] == 1
    assert httpx.post(f"{again.url}/search", content=bunny_frame[1]).status_code == 402


def _anon_race(url: str, quota: int, tries: int) -> int:
    from sabi.serve.usage import AnonUsageStore

    catalog = Catalog(url)
    try:
        store = AnonUsageStore(catalog)
        start = threading.Barrier(tries)

        def one(_: int) -> bool:
            start.wait()
            try:
                store.charge("198.51.100.7", quota)
            except QuotaSpent:
                return False
            return True

        with ThreadPoolExecutor(tries) as ex:
            granted = sum(ex.map(one, range(tries)))
        assert store.used("198.51.100.7") == granted
        return granted
    finally:
        catalog.close()


def test_anonymous_quota_is_atomic_sqlite(tmp_path):
    assert _anon_race(f"sqlite:///{tmp_path / 'c.db'}", quota=3, tries=12) == 3


def test_anonymous_quota_is_atomic_postgres(pg_url):
    assert _anon_race(pg_url, quota=3, tries=12) == 3
