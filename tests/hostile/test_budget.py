"""Animated and video queries spend a budget of decoded pixels and seconds, and stop when the
search is called off: a tiny file cannot hold a worker for minutes."""

from __future__ import annotations

import threading
import time

import pytest
from corpus import animated_gif, gif_bomb, video

from sabi.errors import BadInput, OverBudget, QueryCancelled
from sabi.prepare.query import QueryLimits, load_query

pytestmark = [pytest.mark.fast, pytest.mark.timeout(10)]


def test_gif_bomb_is_refused_before_decoding():
    """88 KB declaring 3000 frames of 5000x5000 took 105 s and 1.1 GB before the budget."""
    with pytest.raises(OverBudget) as err:
        load_query(gif_bomb())
    assert err.value.status == 413


def test_many_frames_over_the_pixel_budget_are_refused():
    """Within the canvas cap, but 3000 frames x 1 Mpx is more than a search may decode."""
    with pytest.raises(OverBudget, match="frames of 1000x1000"):
        load_query(gif_bomb(1000, 1000, 4000))


@pytest.mark.parametrize(("fmt", "codec"), [("mp4", "libx264"), ("webm", "libvpx")])
def test_video_over_the_pixel_budget_is_refused(fmt, codec):
    """mp4 declares its frame count (refused up front); WebM does not (refused mid-way)."""
    data = video(fmt, codec, frames=24, size=(160, 90))
    assert load_query(data, QueryLimits(max_decode_pixels=24 * 160 * 90))
    with pytest.raises(OverBudget):
        load_query(data, QueryLimits(max_decode_pixels=10 * 160 * 90))


def test_a_passed_deadline_stops_decoding():
    with pytest.raises(OverBudget, match="too long"):
        load_query(video(), deadline=time.monotonic() - 1)


def test_the_decode_seconds_limit_stops_decoding():
    with pytest.raises(OverBudget, match="too long"):
        load_query(animated_gif(), QueryLimits(max_decode_seconds=-1.0))


@pytest.mark.parametrize("make", [animated_gif, video], ids=["gif", "video"])
def test_cancel_stops_between_frames(make):
    """The hook is asked between frames; once it says so, nothing more is decoded."""
    data = make()
    asked = 0

    def cancel() -> bool:
        nonlocal asked
        asked += 1
        return asked > 3

    with pytest.raises(QueryCancelled) as err:
        load_query(data, cancel=cancel)
    assert asked == 4
    assert isinstance(err.value, BadInput) and 400 <= err.value.status < 500


def test_a_set_event_cancels_at_once():
    gone = threading.Event()
    gone.set()
    with pytest.raises(QueryCancelled):
        load_query(animated_gif(), cancel=gone.is_set)


def test_canvas_over_the_animation_cap_is_refused():
    with pytest.raises(OverBudget, match="pixels a frame"):
        load_query(animated_gif(frames=2, size=(64, 64)), QueryLimits(max_animated_pixels=4000))


@pytest.mark.parametrize("size", [(10, 30000), (30000, 10)])
def test_strips_too_thin_to_be_a_scene_are_refused(size):
    """10x30000 scaled to the index's width was a 320x960000 image: 26 s and ~1 GB a search."""
    from corpus import encode, picture

    with pytest.raises(BadInput, match="times apart"):
        load_query(encode(picture(*size), "PNG"))


@pytest.mark.timeout(5)
def test_frames_of_a_huge_gif_are_counted_only_up_to_the_cap():
    """Pillow's n_frames reads through every frame first: 25 MB of 1x1 frames took ~6 s with
    no deadline or cancel check. Counting stops at the frame cap, and asks the cancel hook."""
    data = gif_bomb(16, 16, 3_000_000)  # 69 MB: ~17 s to count whole here
    frames = load_query(data, QueryLimits(max_decoded_frames=3000))
    assert len(frames) == 8
    gone = iter([False] + [True] * 10)
    with pytest.raises(QueryCancelled):
        load_query(
            gif_bomb(16, 16, 5000), QueryLimits(max_decoded_frames=5000), cancel=lambda: next(gone)
        )


def test_cancel_from_another_thread_stops_a_long_decode():
    """As the server uses it: the search runs on a worker thread, the event is set elsewhere
    (the client went away) and the worker stops within a frame instead of decoding ~8 s."""
    data = gif_bomb(3840, 2160, 119)  # within every cap: 119 frames of 8.3 Mpx
    started, gone = threading.Event(), threading.Event()
    asked = 0
    outcome: list[BaseException] = []

    def cancel() -> bool:
        nonlocal asked
        asked += 1
        started.set()
        return gone.is_set()

    def work() -> None:
        try:
            load_query(data, cancel=cancel)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    assert started.wait(5)
    gone.set()
    worker.join(10)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], QueryCancelled)
    assert asked < 119


def test_the_budget_is_a_setting(tmp_path):
    """`max_decode_pixels` in the settings reaches the decoder of every search."""
    from sabi.app import Sabi

    data = animated_gif(frames=12, size=(160, 90))
    with Sabi.open(data_dir=tmp_path, descriptor="dhash") as sabi:
        assert sabi.search(data).result == []  # an empty library: decoded, nothing found
    with (
        Sabi.open(data_dir=tmp_path, descriptor="dhash", max_decode_pixels=5 * 160 * 90) as sabi,
        pytest.raises(OverBudget),
    ):
        sabi.search(data)
