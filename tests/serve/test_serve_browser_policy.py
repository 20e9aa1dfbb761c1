"""CORS for browser apps on other sites (as trace.moe allows), and security headers."""

from __future__ import annotations

import re

import httpx

from sabi.serve.routes.pages import STATIC

ORIGIN = {"origin": "https://app.example.net"}


def test_preflight_is_answered(server):
    r = httpx.options(
        f"{server.url}/search",
        headers={
            **ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-trace-key, content-type",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "x-trace-key" in r.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in r.headers


def test_answers_carry_cors_and_expose_limits(make_server):
    live = make_server(rate_limit=100)
    r = httpx.get(f"{live.url}/search", headers=ORIGIN)  # no image: a 405, still readable
    assert r.headers["access-control-allow-origin"] == "*"
    assert "x-ratelimit-remaining" in r.headers["access-control-expose-headers"]


def test_origins_are_a_setting(make_server):
    live = make_server(cors_origins=["https://mine.example"])
    ok = httpx.get(f"{live.url}/me", headers={"origin": "https://mine.example"})
    assert ok.headers["access-control-allow-origin"] == "https://mine.example"
    other = httpx.get(f"{live.url}/me", headers=ORIGIN)
    assert "access-control-allow-origin" not in other.headers
    off = make_server(cors_origins=[])
    r = httpx.options(
        f"{off.url}/search", headers={**ORIGIN, "access-control-request-method": "POST"}
    )
    assert r.status_code == 405


def test_page_has_security_headers(server):
    r = httpx.get(f"{server.url}/")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    csp = dict(
        part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";")
    )
    assert csp["script-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert "unsafe" not in r.headers["content-security-policy"]
    assert server.url in csp["media-src"] and "blob:" in csp["media-src"]
    assert httpx.get(f"{server.url}/me").headers["x-content-type-options"] == "nosniff"


def test_page_needs_no_inline_script_or_style():
    """What the CSP above forbids is not in the page: no inline script, handler or style."""
    html = (STATIC / "index.html").read_text()
    for tag in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S):
        assert tag.strip() == ""
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert not re.search(r"\sstyle\s*=|<style", html)
    js = (STATIC / "app.js").read_text()
    assert "eval(" not in js and "new Function" not in js and "innerHTML" not in js
