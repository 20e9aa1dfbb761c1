"""The core promise: a screenshot as people share it is found in the right file, at +-1 s.

"At +-1 s" is the result's ``at`` (the moment it names) within 1 s of the frame's true time;
the scene's from-to range may be wider than that. Without the source, ``at`` is the best sampled
frame, and in a held shot the moment can be anywhere in from-to; with ``exact`` (the source is
at hand here) it is the frame itself.
"""

from __future__ import annotations

import random

import pytest
from media import frame_at, screenshot

CLIPS = [
    ("big_buck_bunny_0_30.webm", 29.0),
    ("big_buck_bunny_clip.mp4", 5.0),
    ("bikes.mp4", 9.5),
]


def _assert_found(response, filename: str, t: float) -> None:
    assert response.result, "no result at all"
    best = response.result[0]
    assert best.filename == filename, [r.filename for r in response.result[:3]]
    assert best.from_ <= best.at <= best.to
    assert abs(best.at - t) <= 1.0, (t, best.from_, best.at, best.to)
    assert best.similarity > 0.5


@pytest.mark.parametrize("filename,length", CLIPS)
def test_jpeg_scaled_letterboxed_frame_is_found(sabi_lib, shared_media, filename, length):
    rng = random.Random(f"sabi-{filename}")
    step = 1 / sabi_lib.settings.rate
    for _ in range(3):
        t, rgb = frame_at(shared_media / filename, rng.uniform(0.2, length - 0.2))
        query = screenshot(rgb, width=640, quality=40)
        sampled = sabi_lib.search(query, exact=False).result[0]
        assert sampled.filename == filename
        assert sampled.from_ - step <= t <= sampled.to + step, (t, sampled)  # the range is honest
        _assert_found(sabi_lib.search(query, exact=True), filename, t)


def test_synthetic_video_frame_is_found(sabi_lib, synth_video):
    rng = random.Random(7)
    for _ in range(3):
        t, rgb = frame_at(synth_video, rng.uniform(0.5, 19.5))
        _assert_found(sabi_lib.search(screenshot(rgb)), synth_video.name, t)


def test_result_shape_matches_trace_moe(sabi_lib, shared_media):
    t, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 12.0)
    data = sabi_lib.search(screenshot(rgb)).as_json()
    assert set(data) == {"frameCount", "error", "found", "result"}
    assert data["frameCount"] > 0 and data["error"] == ""
    first = data["result"][0]
    for key in (
        "filename",
        "episode",
        "duration",
        "from",
        "at",
        "to",
        "similarity",
        "show",
        "episode_id",
    ):
        assert key in first
    assert first["episode"] == 1
    assert first["show"]["title"] == "Bunny" and first["show"]["tag"] == "bunny"
    assert first["from"] <= first["at"] <= first["to"]
    similarities = [r["similarity"] for r in data["result"]]
    assert similarities == sorted(similarities, reverse=True)


def test_tag_and_show_filters(sabi_lib, shared_media):
    _, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 12.0)
    query = screenshot(rgb)
    street = sabi_lib.search(query, tag="street")
    assert street.result and {r.show.tag for r in street.result} == {"street"}
    synth = sabi_lib.search(query, show="Synth")
    assert synth.result and {r.show.title for r in synth.result} == {"Synth"}
    assert sabi_lib.search(query, tag="no-such-tag").result == []
    bunny = sabi_lib.search(query, tag="bunny")
    assert bunny.result[0].filename == "big_buck_bunny_0_30.webm"


def test_limit(sabi_lib, shared_media):
    _, rgb = frame_at(shared_media / "bikes.mp4", 3.0)
    query = screenshot(rgb)
    every = sabi_lib.search(query).result
    assert len(every) > 2  # so the limit is what cuts the list below
    limited = sabi_lib.search(query, limit=2).result
    assert [(r.episode_id, r.at) for r in limited] == [(r.episode_id, r.at) for r in every[:2]]
    assert limited[0].filename == "bikes.mp4"


def test_mirrored_screenshot_is_found(sabi_lib, shared_media):
    t, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 21.0)
    _assert_found(sabi_lib.search(screenshot(rgb[:, ::-1].copy())), "big_buck_bunny_0_30.webm", t)


def test_gif_query_uses_several_frames(sabi_lib, synth_video):
    import io

    from PIL import Image

    frames = [
        Image.fromarray(frame_at(synth_video, 8.0 + 0.25 * i)[1]).resize((320, 180))
        for i in range(8)
    ]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=250, loop=0)
    best = sabi_lib.search(buf.getvalue()).result[0]
    assert best.filename == synth_video.name
    assert abs(best.at - 8.0) <= 1.0
