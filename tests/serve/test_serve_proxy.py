"""Who the client is and where links point are not the client's to say: X-Forwarded-For only
from trusted proxies, preview links never from the Host header, keys never in the access log."""

from __future__ import annotations

import logging

import httpx

from sabi.serve.logs import ACCESS_LOGGER, RedactKeys, redact


def test_forwarded_for_is_ignored_by_default(server):
    me = httpx.get(f"{server.url}/me", headers={"x-forwarded-for": "203.0.113.5"}).json()
    assert me["id"] == "127.0.0.1"


def test_forwarded_for_is_believed_from_a_trusted_proxy(make_server):
    live = make_server(trusted_proxies="127.0.0.1")
    me = httpx.get(f"{live.url}/me", headers={"x-forwarded-for": "203.0.113.5"}).json()
    assert me["id"] == "203.0.113.5"


def test_host_header_does_not_reach_preview_links(server, bunny_frame):
    r = httpx.post(f"{server.url}/search", content=bunny_frame[1], headers={"host": "evil.example"})
    assert r.status_code == 200 and r.json()["result"]
    for scene in r.json()["result"]:
        assert scene["video"].startswith(f"{server.url}/video/")
        assert scene["image"].startswith(f"{server.url}/image/")


def test_public_url_is_used_for_links(make_server, bunny_frame):
    live = make_server(public_url="https://sabi.example.org/")
    r = httpx.post(f"{live.url}/search", content=bunny_frame[1])
    assert r.json()["result"][0]["video"].startswith("https://sabi.example.org/video/")


def test_keys_are_redacted_from_the_access_log(server):
    assert redact("/search?key=sabi_abc&limit=3") == "/search?key=***&limit=3"
    assert redact("/me?anilistInfo&KEY=x") == "/me?anilistInfo&KEY=***"
    assert redact("/search?monkey=1") == "/search?monkey=1"
    logger = logging.getLogger(ACCESS_LOGGER)
    assert any(isinstance(f, RedactKeys) for f in logger.filters)  # create_app installed it
    record = logger.makeRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/me?key=sabi_secret", "1.1", 200),
        None,
    )
    assert logger.filter(record)
    assert "sabi_secret" not in record.getMessage() and "key=***" in record.getMessage()
