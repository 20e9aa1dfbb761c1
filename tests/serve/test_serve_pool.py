"""A full search pool answers 503 at once instead of queueing without end."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from serve_live import hold_searches

from sabi.errors import Overloaded
from sabi.serve.pool import BoundedPool


def test_overflow_is_refused_at_once_and_capacity_returns():
    pool = BoundedPool(workers=1, queue=1)
    release = threading.Event()

    async def scenario():
        first = asyncio.ensure_future(pool.run(release.wait))
        second = asyncio.ensure_future(pool.run(release.wait))
        await asyncio.sleep(0)  # both have taken their slot
        with pytest.raises(Overloaded) as exc:
            await pool.run(lambda: "never runs")
        assert exc.value.status == 503
        release.set()
        assert await first and await second
        assert await pool.run(lambda: 42) == 42
        assert pool.busy == 0

    try:
        asyncio.run(scenario())
    finally:
        release.set()
        pool.shutdown()


def test_errors_free_their_slot():
    pool = BoundedPool(workers=1, queue=0)

    def fail():
        raise ValueError("bad")

    async def scenario():
        for _ in range(3):
            with pytest.raises(ValueError):
                await pool.run(fail)

    asyncio.run(scenario())
    pool.shutdown()


def test_overloaded_server_says_503(make_server, bunny_frame, monkeypatch):
    import httpx

    live = make_server(search_workers=1, search_queue=0)
    entered, release = hold_searches(live, monkeypatch)
    results = {}

    def first():
        results["first"] = httpx.post(f"{live.url}/search", content=bunny_frame[1], timeout=60)

    t = threading.Thread(target=first)
    t.start()
    assert entered.wait(30)
    r = httpx.post(f"{live.url}/search", content=bunny_frame[1])
    release.set()
    t.join()
    assert r.status_code == 503 and "busy" in r.json()["error"]
    assert results["first"].status_code == 200


def test_requests_beyond_max_connections_get_503_at_once(make_server):
    """Uploads still arriving count against `max_connections`: the next request is refused by
    uvicorn before the app (or its body) is touched, and the server serves again after."""
    import socket

    live = make_server(max_connections=3)  # uvicorn refuses once open connections reach it
    head = (
        b"POST /search HTTP/1.1\r\nhost: x\r\ncontent-type: image/jpeg\r\n"
        b"content-length: 100000\r\n\r\n"
    )
    socks = []
    try:
        for _ in range(2):  # two uploads that never finish: both held by the server
            socks.append(socket.create_connection(("127.0.0.1", live.port), timeout=20))
            socks[-1].sendall(head + b"\xff" * 1000)
            time.sleep(0.3)
        assert httpx.get(f"{live.url}/status", timeout=20).status_code == 503
    finally:
        for s in socks:
            s.close()
    deadline = time.monotonic() + 20
    while httpx.get(f"{live.url}/status", timeout=20).status_code != 200:
        assert time.monotonic() < deadline, "the server did not recover"
        time.sleep(0.2)
