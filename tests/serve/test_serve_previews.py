"""/image and /video: what they decode to, scene bounds, caching headers, signed ids."""

from __future__ import annotations

import io
import time
from pathlib import Path

import av
import httpx
import numpy as np
from media import frame_at, screenshot
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


def _clip_span(server, item: dict) -> tuple[float, float, httpx.Response]:
    """Where the clip of a result starts and ends in its episode (s), and the response."""
    r = httpx.get(item["video"])
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(r.content)) as c:
        duration = c.duration / 1e6
    start = item["at"] - float(r.headers["x-match-offset"])
    return start, start + duration, r


def _hard_cut(path: Path, lo: float, hi: float) -> float:
    """The time of the frame in (lo, hi] least like the frame before it: where a hard cut is."""
    previous, best, when = None, -1.0, lo
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            t = float(frame.time)
            if t < lo - 0.2:
                continue
            if t > hi:
                break
            grey = frame.to_ndarray(format="gray", width=160, height=90).astype(np.float32)
            if previous is not None and lo < t and np.abs(grey - previous).mean() > best:
                best, when = float(np.abs(grey - previous).mean()), t
            previous = grey
    return when


def test_video_is_h264_mp4_of_the_matched_shot(server, bunny_frame, shared_media):
    """The clip is the shot around the match: from the shot change before it to the next one
    (12.34 s lies in the 12-16 s shot), found to the frame; the stored cuts, sampled every step,
    place each change within one step before them."""
    item = _search(server, bunny_frame[1])
    start, end, r = _clip_span(server, item)
    assert r.content[4:8] == b"ftyp"
    assert r.content.find(b"moov") < r.content.find(b"mdat")  # faststart: playable while loading
    with av.open(io.BytesIO(r.content)) as c:
        v = c.streams.video[0]
        assert v.codec_context.name == "h264"
        assert v.width == 320
        assert any(s.type == "audio" for s in c.streams)
    cuts = _cuts(server, item["episode_id"])
    step = 1 / server.settings.rate
    before = max(c for c in cuts if c <= item["at"])
    after = min(c for c in cuts if c > item["at"])
    assert (before, after) == (12.0, 16.0), cuts
    assert before - step < start <= before + 0.01, (start, cuts)
    assert after - step < end <= after + 0.01, (end, cuts)
    # ... and exactly at the frames where the picture changes
    episode = shared_media / "big_buck_bunny_0_30.webm"
    assert abs(start - _hard_cut(episode, before - step, before)) < 0.01
    assert abs(end - _hard_cut(episode, after - step, after)) < 0.01


def test_video_reaches_at_most_preview_seconds_either_side(server, shared_media):
    """At 5 s the shot runs from about 1.5 s to 12 s: the clip stops 5 s after the match."""
    t, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 5.0)
    item = _search(server, screenshot(rgb))
    assert abs(item["at"] - t) <= 1.0
    start, end, _ = _clip_span(server, item)
    half = server.settings.preview_seconds
    assert item["at"] - half - 0.01 <= start < item["at"] - 1.0  # bounded by the shot change
    assert item["at"] + half - 0.1 <= end <= item["at"] + half + 0.01  # bounded by 5 s


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
