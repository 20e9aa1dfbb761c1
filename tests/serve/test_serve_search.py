"""/search against a live server: every way trace.moe accepts a query, and its answer."""

from __future__ import annotations

import base64

import httpx
from conftest import BUNNY


def _best(body: dict) -> dict:
    assert body["error"] == ""
    assert body["result"], body
    return body["result"][0]


def _assert_bunny_ep1(item: dict, t: float) -> None:
    assert item["show"]["title"] == BUNNY
    assert item["episode"] == 1
    assert item["from"] <= t + 0.6 and item["to"] >= t - 0.6, item
    assert item["similarity"] > 0.8


def test_multipart_image_field(server, bunny_frame):
    t, jpeg = bunny_frame
    r = httpx.post(f"{server.url}/search", files={"image": ("q.jpg", jpeg, "image/jpeg")})
    assert r.status_code == 200
    body = r.json()
    item = _best(body)
    _assert_bunny_ep1(item, t)
    assert body["frameCount"] > 0
    # trace.moe's fields, all present
    for key in ("anilist", "filename", "episode", "from", "to", "similarity", "video", "image"):
        assert key in item
    assert item["anilist"] == item["show"]["id"]  # a bare id without anilistInfo
    assert item["video"].startswith(server.url + "/video/")
    assert item["image"].startswith(server.url + "/image/")
    assert "?" in item["video"]  # clients append "&size=l" / "&mute"


def test_multipart_file_field(server, bunny_frame):
    t, jpeg = bunny_frame
    r = httpx.post(f"{server.url}/search", files={"file": ("q.jpg", jpeg, "image/jpeg")})
    _assert_bunny_ep1(_best(r.json()), t)


def test_raw_body(server, bunny_frame):
    t, jpeg = bunny_frame
    for ctype in ("image/jpeg", "application/octet-stream"):
        r = httpx.post(f"{server.url}/search", content=jpeg, headers={"content-type": ctype})
        assert r.status_code == 200
        _assert_bunny_ep1(_best(r.json()), t)


def test_json_base64_body(server, bunny_frame):
    """Older wrappers (tracemoepy) post {"image": "<base64>"}."""
    t, jpeg = bunny_frame
    r = httpx.post(f"{server.url}/search", json={"image": base64.b64encode(jpeg).decode()})
    _assert_bunny_ep1(_best(r.json()), t)


def test_anilist_info_gives_an_object(server, bunny_frame):
    _, jpeg = bunny_frame
    r = httpx.post(f"{server.url}/search?anilistInfo", content=jpeg)
    info = _best(r.json())["anilist"]
    assert info["title"]["romaji"] == BUNNY
    assert info["title"]["native"] == BUNNY and info["title"]["english"] == BUNNY
    assert info["isAdult"] is False and info["synonyms"] == []
    assert isinstance(info["id"], int)


def test_filters_and_limit(server, bunny_frame):
    _, jpeg = bunny_frame
    shows = {s["title"]: s["id"] for s in httpx.get(f"{server.url}/shows").json()}
    bikes = shows["Street Bikes"]
    only_bikes = httpx.post(f"{server.url}/search?anilistID={bikes}", content=jpeg).json()
    assert all(r["show"]["id"] == bikes for r in only_bikes["result"])
    by_tag = httpx.post(f"{server.url}/search?tag=street", content=jpeg).json()
    assert all(r["show"]["title"] == "Street Bikes" for r in by_tag["result"])
    by_title = httpx.post(f"{server.url}/search", params={"show": BUNNY}, content=jpeg).json()
    assert by_title["result"] and all(r["show"]["title"] == BUNNY for r in by_title["result"])
    one = httpx.post(f"{server.url}/search?limit=1", content=jpeg).json()
    assert len(one["result"]) == 1


def test_cut_borders_flag_forms(server, bunny_frame):
    _, jpeg = bunny_frame
    for value in ("", "1", "0", "true"):
        r = httpx.post(f"{server.url}/search", params={"cutBorders": value}, content=jpeg)
        assert r.status_code == 200, (value, r.text)
    r = httpx.post(f"{server.url}/search", params={"cutBorders": "maybe"}, content=jpeg)
    assert r.status_code == 400


def test_a_video_query(server, shared_media):
    """A short clip as the query: its frames are searched together."""
    clip = (shared_media / "big_buck_bunny_432_433.webm").read_bytes()
    r = httpx.post(f"{server.url}/search", content=clip, headers={"content-type": "video/webm"})
    assert r.status_code == 200
    assert "result" in r.json()
