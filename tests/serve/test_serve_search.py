"""/search against a live server: every way trace.moe accepts a query, and its answer."""

from __future__ import annotations

import base64

import httpx
import numpy as np
from conftest import BUNNY
from media import screenshot


def _best(body: dict) -> dict:
    assert body["error"] == ""
    assert body["result"], body
    return body["result"][0]


def _assert_found(item: dict, title: str, episode: int | None, t: float) -> None:
    """The right show and episode, the moment within ±1 s, and that moment inside the scene."""
    assert item["show"]["title"] == title
    assert item["episode"] == episode
    assert abs(item["at"] - t) <= 1.0, (t, item)
    assert item["from"] <= t <= item["to"], (t, item)
    assert item["similarity"] > 0.8


def _assert_bunny_ep1(item: dict, t: float) -> None:
    _assert_found(item, BUNNY, 1, t)


def test_multipart_image_field(server, bunny_frame):
    t, jpeg = bunny_frame
    r = httpx.post(f"{server.url}/search", files={"image": ("q.jpg", jpeg, "image/jpeg")})
    assert r.status_code == 200
    body = r.json()
    item = _best(body)
    _assert_bunny_ep1(item, t)
    assert body["frameCount"] > 0
    assert body["found"] is True
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


def _search(server, data: bytes, **params) -> dict:
    r = httpx.post(f"{server.url}/search", params=params, content=data)
    assert r.status_code == 200, r.text
    return r.json()


def test_filters_keep_only_the_shows_asked_for(server, bunny_frame):
    """A filter that leaves the right show out still answers, from the allowed shows only."""
    _, jpeg = bunny_frame
    shows = {s["title"]: s["id"] for s in httpx.get(f"{server.url}/shows").json()}
    bikes = shows["Street Bikes"]
    for params in ({"anilistID": bikes}, {"tag": "street"}, {"show": "Street Bikes"}):
        result = _search(server, jpeg, **params)["result"]
        assert result, params
        assert {r["show"]["id"] for r in result} == {bikes}, params
        assert all(r["similarity"] < 0.5 for r in result), params  # nothing like the query


def test_filters_that_keep_the_right_show_find_the_moment(server, bunny_frame, bikes_frame):
    t, jpeg = bunny_frame
    shows = {s["title"]: s["id"] for s in httpx.get(f"{server.url}/shows").json()}
    for params in ({"anilistID": shows[BUNNY]}, {"tag": "demo"}, {"show": BUNNY}):
        result = _search(server, jpeg, **params)["result"]
        _assert_bunny_ep1(result[0], t)
        assert {r["show"]["title"] for r in result} == {BUNNY}, params
    tb, bikes = bikes_frame
    result = _search(server, bikes, tag="street")["result"]
    _assert_found(result[0], "Street Bikes", None, tb)


def test_limit(server, bunny_frame):
    t, jpeg = bunny_frame
    full = _search(server, jpeg)["result"]
    assert len(full) > 1
    one = _search(server, jpeg, limit=1)["result"]
    assert len(one) == 1
    assert (one[0]["episode_id"], one[0]["at"]) == (full[0]["episode_id"], full[0]["at"])
    _assert_bunny_ep1(one[0], t)


def test_cut_borders_flag_forms(server, bunny_frame):
    t, jpeg = bunny_frame
    cut = {}
    for value in ("", "1", "0", "true"):
        best = _best(_search(server, jpeg, cutBorders=value))
        assert (best["episode"], best["from"] <= t <= best["to"]) == (1, True), value
        cut[value] = best["similarity"]
    assert cut[""] == cut["1"] == cut["true"] > 0.8
    assert cut["0"] < cut["1"]  # the letterboxed screenshot matches better with its bars cut
    r = httpx.post(f"{server.url}/search", params={"cutBorders": "maybe"}, content=jpeg)
    assert r.status_code == 400


def test_a_video_query(server, bunny_clip):
    """A short clip as the query: its frames are searched together, and the answer's moment
    is where the clip starts."""
    t, clip = bunny_clip
    r = httpx.post(f"{server.url}/search", content=clip, headers={"content-type": "video/mp4"})
    assert r.status_code == 200
    _assert_bunny_ep1(_best(r.json()), t)


def test_a_scene_not_in_the_library_is_said_so(server):
    noise = np.random.default_rng(3).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    r = httpx.post(f"{server.url}/search", content=screenshot(noise))
    body = r.json()
    assert r.status_code == 200 and body["found"] is False
    assert body["result"], "the closest scenes are still listed"


def test_exact_flag_names_the_frame(server, shared_media):
    """Between two samples of the held 12-16 s shot: without the source the answer is a
    sample (2 a second), more than a frame from this one; ``exact=1`` decodes the episode
    around it and names the frame itself."""
    from media import frame_at, screenshot

    t, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 13.3)
    jpeg = screenshot(rgb)
    sampled = _best(_search(server, jpeg, exact="0"))
    assert sampled["from"] <= t <= sampled["to"] and abs(sampled["at"] - t) > 0.1
    assert abs(sampled["at"] * 2 - round(sampled["at"] * 2)) < 0.01  # a sample
    for value in ("1", "true", ""):
        best = _best(_search(server, jpeg, exact=value))
        assert best["episode"] == 1 and abs(best["at"] - t) <= 1 / 24 + 2e-3, (value, t, best)
        assert best["from"] <= best["at"] <= best["to"]
    r = httpx.post(f"{server.url}/search", params={"exact": "maybe"}, content=jpeg)
    assert r.status_code == 400
