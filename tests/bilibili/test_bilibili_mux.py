"""Muxing with PyAV: DASH video + audio into one MP4, durl segments joined in time, and
codecs an MP4 cannot hold transcoded."""

from __future__ import annotations

import av
import pytest

from sabi.acquire.bilibili.api import BilibiliError
from sabi.acquire.bilibili.mux import mux_to_mp4


def streams(path):
    with av.open(str(path)) as c:
        return {s.type: s.codec_context.name for s in c.streams}, float(c.duration / 1e6)


def test_dash_parts_become_one_mp4_with_both_streams(bili_media, tmp_path):
    parts = bili_media["s1e2"]
    out = tmp_path / "ep.mp4"
    duration = mux_to_mp4([[parts["video"]], [parts["audio"]]], out)
    kinds, length = streams(out)
    assert kinds == {"video": "h264", "audio": "aac"}
    assert duration == pytest.approx(5.3, abs=0.2) and length == pytest.approx(5.3, abs=0.2)
    assert not list(tmp_path.glob("*.muxing.mp4"))


def test_durl_segments_are_joined_in_time(bili_media, tmp_path):
    segs = bili_media["s2e1"]
    out = tmp_path / "ep.mp4"
    mux_to_mp4([[segs["seg1"], segs["seg2"]]], out)
    kinds, length = streams(out)
    assert kinds == {"video": "h264"} and length == pytest.approx(9.9, abs=0.3)
    with av.open(str(out)) as c:
        times = [f.time for f in c.decode(video=0)]
    assert all(b > a for a, b in zip(times, times[1:], strict=False))  # no jump back at the join
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) < 0.1


def test_codecs_mp4_cannot_hold_are_transcoded(shared_media, tmp_path):
    out = tmp_path / "vp8.mp4"
    mux_to_mp4([[shared_media / "big_buck_bunny_432_433.webm"]], out)
    kinds, length = streams(out)
    assert kinds["video"] == "h264" and length == pytest.approx(1.0, abs=0.1)


def test_unreadable_parts_fail_with_a_reason(tmp_path):
    bad = tmp_path / "bad.m4s"
    bad.write_bytes(b"not a video")
    with pytest.raises(BilibiliError) as info:
        mux_to_mp4([[bad]], tmp_path / "x.mp4")
    assert info.value.kind == "mux" and not (tmp_path / "x.mp4").exists()
