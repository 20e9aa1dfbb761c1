"""POST /shots: a clip broken down into its shots over HTTP, as the library does it."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from conftest import BUNNY
from media import concat_clips
from PIL import Image

from sabi.app import Sabi

PIECES = [
    ("big_buck_bunny_0_30.webm", 5.0, 8.0),
    ("big_buck_bunny_clip.mp4", 0.5, 3.0),
    ("big_buck_bunny_0_30.webm", 17.0, 20.0),
]


@pytest.fixture(scope="module")
def amv(tmp_path_factory, shared_media: Path) -> bytes:
    path = tmp_path_factory.mktemp("amv") / "amv.mp4"
    concat_clips(path, [(shared_media / f, a, b) for f, a, b in PIECES], size=(426, 240))
    return path.read_bytes()


def test_shots_answers_what_the_library_answers(server, serve_index, amv):
    r = httpx.post(f"{server.url}/shots", files={"file": ("amv.mp4", amv, "video/mp4")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["error"] == "" and body["frameCount"] > 0 and body["quotaUsed"] >= 1
    shots = body["shots"]
    assert [(s["result"]["show"]["title"], s["result"]["episode"]) for s in shots] == [
        (BUNNY, 1),
        (BUNNY, 2),
        (BUNNY, 1),
    ]
    for shot in shots:
        assert shot["result"]["image"].startswith(server.url + "/image/")
        assert shot["result"]["video"].startswith(server.url + "/video/")
    with Sabi.open(data_dir=serve_index, create=False) as sabi:
        local = sabi.shots(amv).as_json()["shots"]
    assert [(s["start"], s["end"], s["similarity"]) for s in shots] == [
        (s["start"], s["end"], s["similarity"]) for s in local
    ]
    for ours, theirs in zip(shots, local, strict=True):
        for key in ("filename", "episode_id", "from", "at", "to"):
            assert ours["result"][key] == theirs["result"][key]
    # the preview still of a shot is the episode's picture at the shot's start
    still = httpx.get(shots[2]["result"]["image"])
    assert still.status_code == 200 and still.headers["content-type"].startswith("image/")


def test_raw_body_and_filters(server, amv):
    r = httpx.post(
        f"{server.url}/shots?tag=street",
        content=amv,
        headers={"content-type": "application/octet-stream"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["shots"] and all(s["result"] is None for s in r.json()["shots"])


def test_a_still_image_is_a_400_with_the_error_shape(server):
    buf = io.BytesIO()
    Image.new("RGB", (64, 36), (10, 200, 10)).save(buf, "PNG")
    r = httpx.post(f"{server.url}/shots", files={"image": ("q.png", buf.getvalue(), "image/png")})
    assert r.status_code == 400, r.text
    assert r.json() == {
        "error": "an image has no shots to break down: send a video clip, or search the image"
    }


def test_a_too_long_clip_is_a_413(make_server, amv):
    live = make_server(max_shots_seconds=4)
    r = httpx.post(f"{live.url}/shots", content=amv)
    assert r.status_code == 413, r.text
    assert r.json() == {
        "error": "the clip is longer than 4 s, the most that is read; send a shorter clip"
    }


def test_limit_is_refused(server, amv):
    r = httpx.post(f"{server.url}/shots?limit=3", content=amv)
    assert r.status_code == 400 and "limit" in r.json()["error"]
