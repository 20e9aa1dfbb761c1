"""JSON bodies of /anilist and /admin are capped, and an admin route looks at the key before
it reads a byte of the body; GraphQL nesting is bounded."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

ROUTES = ["/anilist", "/graphql", "/admin/index", "/admin/keys"]


@pytest.mark.parametrize("route", ROUTES)
def test_json_bodies_over_the_cap_are_413(server, route):
    big = json.dumps({"query": "{ Media(id: 1) { id } }", "pad": "x" * 2_000_000})
    admin = {"x-trace-key": "admin-secret", "content-type": "application/json"}
    r = httpx.post(f"{server.url}{route}", content=big, headers=admin, timeout=60)
    assert r.status_code == 413, r.text
    assert set(r.json()) == {"error"}


def test_cap_is_a_setting(make_server):
    live = make_server(max_json_bytes=2048)
    query = {"query": "{ Media(id: 1) { id } }"}
    assert httpx.post(f"{live.url}/anilist", json=query).status_code == 200
    r = httpx.post(f"{live.url}/anilist", json={**query, "variables": {"x": "y" * 3000}})
    assert r.status_code == 413


def test_admin_key_is_checked_before_the_body_is_read(server):
    """Without the key the 403 comes after the headers alone: the body never finishes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        head = (
            "POST /admin/index HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            "content-length: 500000\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"paths": ["')
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]


def test_admin_bodies_are_still_validated(server):
    admin = {"x-trace-key": "admin-secret"}
    r = httpx.post(f"{server.url}/admin/keys", json={"name": ""}, headers=admin)
    assert r.status_code == 422 and "name" in r.json()["error"]
    r = httpx.post(f"{server.url}/admin/keys", content=b"{not json", headers=admin)
    assert r.status_code == 422
    r = httpx.post(f"{server.url}/admin/index", json={"paths": []}, headers=admin)
    assert r.status_code == 422 and "paths" in r.json()["error"]


def test_deep_graphql_is_a_graphql_error(server):
    """Answered like every GraphQL error (HTTP 200, ``errors[].status`` 400), not a 500."""
    deep = "{ Media(id: 1) " + "{ title " * 5000 + "}" * 5001
    deep_args = "{ Media(id: " + "[" * 5000 + "1" + "]" * 5000 + ") { id } }"
    for query in (deep, deep_args):
        r = httpx.post(f"{server.url}/anilist", json={"query": query})
        assert r.status_code == 200, r.text
        error = r.json()["errors"][0]
        assert error["status"] == 400 and "nested" in error["message"]


def test_bodies_are_documented(server):
    spec = httpx.get(f"{server.url}/openapi.json").json()
    for path in ("/anilist", "/admin/index", "/admin/keys"):
        body = spec["paths"][path]["post"]["requestBody"]
        assert "properties" in body["content"]["application/json"]["schema"]
