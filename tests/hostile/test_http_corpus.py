"""The hostile corpus against a live ``sabi serve``: no 5xx, no hang, a 4xx with a reason."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from corpus import CASES, Case, encode, ffconcat, gif_bomb, picture

sys.path.insert(0, str(Path(__file__).parents[1] / "serve"))

from serve_live import LiveServer, settings_for  # noqa: E402

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def live(hostile_index: Path) -> Iterator[LiveServer]:
    server = LiveServer(settings_for(hostile_index)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as c:
        yield c


def _assert_answer(r: httpx.Response, case: Case) -> None:
    assert r.status_code < 500, (case.name, r.status_code, r.text[:300])
    if case.ok:
        assert r.status_code == 200, (case.name, r.text[:300])
    elif not case.either:
        assert 400 <= r.status_code < 500, (case.name, r.status_code)
        assert r.json()["error"], case.name
    if r.status_code == 200:
        assert isinstance(r.json()["result"], list)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_upload(client: httpx.Client, case: Case):
    data = case.make()
    r = client.post("/search", files={"image": ("query.bin", data, "application/octet-stream")})
    _assert_answer(r, case)


def test_ffconcat_upload_does_not_answer_with_a_file_of_the_server(
    client: httpx.Client, shared_media: Path
):
    """The attack this closes: results for a video named by the uploaded script."""
    clip = shared_media / "big_buck_bunny_432_433.webm"
    r = client.post("/search", content=ffconcat(str(clip)), headers={"content-type": "video/mp4"})
    assert r.status_code == 400
    assert "not an image or video" in r.json()["error"]


def test_gif_bomb_answers_413_quickly(client: httpx.Client):
    r = client.post("/search", content=gif_bomb(), headers={"content-type": "image/gif"})
    assert r.status_code == 413
    assert r.json()["error"]


@pytest.mark.parametrize(
    "ctype",
    ["text/html", "application/json", "application/x-www-form-urlencoded", "image/svg+xml", ""],
)
def test_image_sent_with_the_wrong_content_type(client: httpx.Client, ctype: str):
    """Whatever the type says, the bytes decide; a body the type cannot carry is a 4xx."""
    r = client.post("/search", content=encode(picture(), "PNG"), headers={"content-type": ctype})
    assert r.status_code < 500, r.text[:300]
    assert r.status_code == 200 or r.json()["error"]


@pytest.mark.parametrize(
    "name",
    ["../../../../etc/passwd", "..\\..\\boot.ini", "画像\u202egnp.jpg", "img%03d.png", "\x00.png"],
)
def test_file_names_are_only_names(client: httpx.Client, name: str):
    """The upload's file name is never used: the same answer whatever it is."""
    r = client.post("/search", files={"image": (name, encode(picture(), "JPEG"), "image/jpeg")})
    assert r.status_code == 200, r.text[:300]
