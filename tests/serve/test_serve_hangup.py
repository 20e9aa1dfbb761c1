"""A client that hangs up (mid-upload, or while its search runs) is one quiet log line, costs
no quota, and the search is told to stop."""

from __future__ import annotations

import logging
import socket
import threading

import httpx
import pytest


class _Records(logging.Handler):
    """Log records of the server's loggers; ``seen`` is set by the first hang-up line or
    error (uvicorn's own loggers do not propagate to pytest's caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if record.levelno >= logging.ERROR or "went away" in record.getMessage():
            self.seen.set()


@pytest.fixture
def server_log():
    records = _Records()
    loggers = [logging.getLogger(n) for n in ("uvicorn.error", "sabi")]
    old = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(records)
        lg.setLevel(logging.DEBUG)
    yield records
    for lg, level in zip(loggers, old, strict=True):
        lg.removeHandler(records)
        lg.setLevel(level)


def _start_upload(port: int, path: str, ctype: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    head = f"POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: {ctype}\r\n"
    sock.sendall(f"{head}content-length: 100000\r\n\r\n".encode() + b"\xff" * 1000)
    return sock


@pytest.mark.parametrize(
    ("path", "ctype"), [("/search", "image/jpeg"), ("/anilist", "application/json")]
)
def test_aborted_upload_is_one_quiet_line(server, server_log, path, ctype):
    sock = _start_upload(server.port, path, ctype)
    sock.close()
    assert server_log.seen.wait(30)
    errors = [r for r in server_log.records if r.levelno >= logging.WARNING]
    assert errors == []
    lines = [r for r in server_log.records if "went away" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None


def _hang_up_mid_search(live, bunny_frame, monkeypatch):
    """Start a search, hang up while it runs; the kwargs the search got, once refunded."""
    entered, release, refunded = threading.Event(), threading.Event(), threading.Event()
    seen: dict = {}
    real_search, real_refund = live.state.sabi.search, live.state.limiter.refund

    def slow(*args, **kwargs):
        seen.update(kwargs)
        entered.set()
        release.wait(30)
        return real_search(*args, **{k: v for k, v in kwargs.items() if k != "cancel"})

    def refund(charge):
        real_refund(charge)
        refunded.set()

    monkeypatch.setattr(live.state.sabi, "search", slow)
    monkeypatch.setattr(live.state.limiter, "refund", refund)
    data = bunny_frame[1]
    with socket.create_connection(("127.0.0.1", live.port), timeout=20) as sock:
        head = f"POST /search HTTP/1.1\r\nhost: x\r\ncontent-type: image/jpeg\r\ncontent-length: {len(data)}\r\n\r\n"
        sock.sendall(head.encode() + data)
        assert entered.wait(30)
    try:
        assert refunded.wait(30)
    finally:
        release.set()
    return seen


def test_hang_up_during_search_refunds_the_quota(make_server, index_copy, bunny_frame, monkeypatch):
    live = make_server(data_dir=index_copy, anonymous_quota=1)
    _hang_up_mid_search(live, bunny_frame, monkeypatch)
    assert httpx.get(f"{live.url}/me").json()["quotaUsed"] == 0


def test_hang_up_during_search_cancels_it(make_server, bunny_frame, monkeypatch):
    live = make_server()
    seen = _hang_up_mid_search(live, bunny_frame, monkeypatch)
    assert seen["cancel"]() is True
