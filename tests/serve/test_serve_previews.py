"""/image and /video: what they decode to, scene bounds, caching headers, signed ids."""

from __future__ import annotations

import io
import time

import av
import httpx
from PIL import Image

from sabi.serve.tokens import HOUR, PreviewSigner


def _search(server, jpeg: bytes) -> dict:
    r = httpx.post(f"{server.url}/search", content=jpeg)
    return r.json()["result"][0]


def _cuts(server, episode_id: int) -> list[float]:
    return server.state.sabi.catalog.cuts(episode_id)


def test_image_jpeg_and_webp_sizes(server, bunny_frame):
    item = _search(server, bunny_frame[1])
    r = httpx.get(item["image"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(r.content)).size[0] == 320
    assert "max-age=" in r.headers["cache-control"]
    r = httpx.get(item["image"] + "&size=l", headers={"accept": "image/webp,*/*"})
    assert r.headers["content-type"] == "image/webp"
    img = Image.open(io.BytesIO(r.content))
    assert img.format == "WEBP" and img.size[0] == 640
    r = httpx.get(item["image"] + "&size=s")
    assert Image.open(io.BytesIO(r.content)).size[0] == 160


def test_video_is_h264_mp4_within_one_shot(server, bunny_frame):
    item = _search(server, bunny_frame[1])
    r = httpx.get(item["video"])
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    assert r.content[4:8] == b"ftyp"
    assert r.content.find(b"moov") < r.content.find(b"mdat")  # faststart: playable while loading
    with av.open(io.BytesIO(r.content)) as c:
        v = c.streams.video[0]
        assert v.codec_context.name == "h264"
        assert v.width == 320
        assert any(s.type == "audio" for s in c.streams)
        duration = c.duration / 1e6
    assert 0.5 < duration <= 10.5
    offset = float(r.headers["x-match-offset"])
    start = item["at"] - offset
    end = start + duration
    cuts = _cuts(server, item["episode_id"])
    assert cuts, "the indexer stored no shot changes"
    # the clip stays inside one shot: no stored cut strictly inside it
    step = 1 / server.settings.rate
    assert not [c for c in cuts if start + step < c < end - 0.1], (start, end, cuts)


def test_video_mute_and_range(server, bunny_frame):
    item = _search(server, bunny_frame[1])
    r = httpx.get(item["video"] + "&mute")
    with av.open(io.BytesIO(r.content)) as c:
        assert [s.type for s in c.streams] == ["video"]
    ranged = httpx.get(item["video"] + "&mute", headers={"range": "bytes=0-99"})
    assert ranged.status_code == 206
    assert ranged.content == r.content[:100]
    assert ranged.headers["content-range"] == f"bytes 0-99/{len(r.content)}"


def test_tampered_id_is_403(server, bunny_frame):
    item = _search(server, bunny_frame[1])
    token = item["image"].split("/image/")[1].split("?")[0]
    flipped = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    r = httpx.get(f"{server.url}/image/{flipped}")
    assert r.status_code == 403 and "error" in r.json()


def test_expired_id_is_410(server, bunny_frame):
    item = _search(server, bunny_frame[1])
    signer: PreviewSigner = server.state.signer
    old = signer.sign(item["episode_id"], item["at"], now=time.time() - 3 * HOUR - signer.ttl)
    for kind in ("image", "video"):
        r = httpx.get(f"{server.url}/{kind}/{old}")
        assert r.status_code == 410, r.text
        assert "expired" in r.json()["error"]


def test_links_are_stable_within_the_hour(server, bunny_frame):
    """The expiry is snapped to the hour, so the same moment gets the same (cacheable) link."""
    a, b = _search(server, bunny_frame[1]), _search(server, bunny_frame[1])
    assert a["video"] == b["video"]


def test_removed_episode_preview_is_404(server):
    signer: PreviewSigner = server.state.signer
    r = httpx.get(f"{server.url}/image/{signer.sign(999_999, 1.0)}")
    assert r.status_code == 404 and "error" in r.json()
