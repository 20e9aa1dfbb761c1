"""One JSON error shape, {"error": "..."}, for every failure, with trace.moe's status codes."""

from __future__ import annotations

import httpx
import pytest


def _assert_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"], str) and body["error"]
    return body["error"]


def test_not_an_image_is_400(server):
    r = httpx.post(f"{server.url}/search", content=b"plain text, no picture")
    assert "not an image" in _assert_error(r, 400)


def test_no_input_is_405(server):
    _assert_error(httpx.get(f"{server.url}/search"), 405)
    _assert_error(httpx.post(f"{server.url}/search"), 405)


def test_wrong_method_is_405(server):
    _assert_error(httpx.put(f"{server.url}/search", content=b"x"), 405)


def test_unknown_path_is_404(server):
    _assert_error(httpx.get(f"{server.url}/no/such/page"), 404)


def test_bad_key_is_403(server, bunny_frame):
    r = httpx.post(f"{server.url}/search", content=bunny_frame[1], headers={"x-trace-key": "nope"})
    _assert_error(r, 403)
    _assert_error(httpx.get(f"{server.url}/me", params={"key": "nope"}), 403)


def test_invalid_parameters_are_400_or_422(server, bunny_frame):
    _assert_error(httpx.post(f"{server.url}/search?limit=abc", content=bunny_frame[1]), 400)
    _assert_error(httpx.post(f"{server.url}/search?anilistID=-4", content=bunny_frame[1]), 400)
    admin = {"x-trace-key": "admin-secret"}
    _assert_error(httpx.post(f"{server.url}/admin/keys", json={"quota": -1}, headers=admin), 422)
    _assert_error(httpx.get(f"{server.url}/image/x?size=huge"), 422)


def test_too_large_is_413(make_server):
    live = make_server(max_upload_bytes=50_000)
    big = b"\xff\xd8" + b"\0" * 60_000
    _assert_error(httpx.post(f"{live.url}/search", content=big), 413)
    files = {"image": ("big.jpg", big, "image/jpeg")}
    _assert_error(httpx.post(f"{live.url}/search", files=files), 413)

    def chunks():  # no Content-Length: the cap must hold while streaming
        for _ in range(10):
            yield b"\0" * 10_000

    _assert_error(httpx.post(f"{live.url}/search", content=chunks()), 413)


def test_a_crash_is_a_json_500(make_server, bunny_frame, monkeypatch):
    live = make_server()

    def boom(*_args, **_kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(live.state.sabi, "search", boom)
    r = httpx.post(f"{live.url}/search", content=bunny_frame[1])
    message = _assert_error(r, 500)
    assert "simulated" not in message  # no internals leak


@pytest.mark.parametrize("path", ["/video/AAAA", "/image/not-a-token"])
def test_preview_errors_are_json(server, path):
    _assert_error(httpx.get(server.url + path), 403)
