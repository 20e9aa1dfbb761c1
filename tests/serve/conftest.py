"""Fixtures for the HTTP tests: a small index of the shared clips and live servers on it."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from serve_live import LiveServer, settings_for  # noqa: E402

from sabi.app import Sabi  # noqa: E402

BUNNY = "Big Buck Bunny"


@pytest.fixture(scope="session")
def serve_index(tmp_path_factory, shared_media: Path) -> Path:
    """Big Buck Bunny 0:00-0:30 (ep 1) and a later scene (ep 2), plus a live-action distractor."""
    data = tmp_path_factory.mktemp("serve-index")
    with Sabi.open(data_dir=data, threads=2) as sabi:
        for clip, show, tag, ep in (
            ("big_buck_bunny_0_30.webm", BUNNY, "demo", 1),
            ("big_buck_bunny_clip.mp4", BUNNY, "demo", 2),
            ("bikes.mp4", "Street Bikes", "street", None),
        ):
            report = sabi.index([shared_media / clip], show=show, tag=tag, episode=ep)
            assert report.ok, report.results
    return data


@pytest.fixture(scope="session")
def server(serve_index: Path) -> Iterator[LiveServer]:
    """The default test server: admin key set, no rate limit."""
    live = LiveServer(settings_for(serve_index)).start()
    yield live
    live.stop()


@pytest.fixture
def index_copy(serve_index: Path, tmp_path: Path) -> Path:
    """A copy of the test index of one's own: usage counted in its database (anonymous
    searches per address, keys, the per-minute rate windows) starts from nothing, whatever
    other tests searched."""
    import shutil

    from sqlalchemy import delete

    from sabi.catalog import Catalog
    from sabi.catalog.models import ApiUsage
    from sabi.serve.tables import AnonUsage, RateWindow

    copy = tmp_path / "index"
    shutil.copytree(serve_index, copy, ignore=shutil.ignore_patterns("previews"))
    catalog = Catalog(f"sqlite:///{copy / 'sabi.db'}")
    with catalog.session() as s:
        s.execute(delete(AnonUsage))
        s.execute(delete(ApiUsage))
        s.execute(delete(RateWindow))
    catalog.close()
    return copy


@pytest.fixture
def make_server(serve_index: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start another server on the same index with other settings (stopped after the test)."""
    started: list[LiveServer] = []

    def start(**overrides) -> LiveServer:
        live = LiveServer(settings_for(overrides.pop("data_dir", serve_index), **overrides))
        started.append(live.start())
        return live

    yield start
    for live in started:
        live.stop()


@pytest.fixture(scope="session")
def bunny_frame(shared_media: Path) -> tuple[float, bytes]:
    """A phone-style screenshot (letterboxed, scaled, JPEG q40) of episode 1 at 12.34 s (the
    README's demo moment), early in the held 12-16 s shot: a search without the source places
    it between the shot's sampled frames (see tests/search/test_exact_moment.py)."""
    from media import frame_at, screenshot

    t, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 12.34)
    return t, screenshot(rgb)


@pytest.fixture(scope="session")
def bikes_frame(shared_media: Path) -> tuple[float, bytes]:
    """A screenshot of the live-action distractor at 4 s."""
    from media import frame_at, screenshot

    t, rgb = frame_at(shared_media / "bikes.mp4", 4.0)
    return t, screenshot(rgb)


@pytest.fixture(scope="session")
def bunny_clip(shared_media: Path) -> tuple[float, bytes]:
    """Episode 1 from 17 s to 19 s (inside one shot), re-encoded small: a video query."""
    start, end, fps = 17.0, 19.0, 24
    out = io.BytesIO()
    with (
        av.open(str(shared_media / "big_buck_bunny_0_30.webm")) as src,
        av.open(out, "w", format="mp4") as dst,
    ):
        stream = dst.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        n = 0
        for frame in src.decode(video=0):
            if frame.time is None or frame.time < start:
                continue
            if frame.time >= end:
                break
            rgb = frame.to_ndarray(format="rgb24", width=320, height=180)
            small = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            small.pts, small.time_base, n = n, Fraction(1, fps), n + 1
            for packet in stream.encode(small):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return start, out.getvalue()
