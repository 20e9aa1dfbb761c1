"""Fixtures for the Bilibili tests: media cut from the shared clips, a fake Bilibili on a
loopback port, and an environment that points sabi at it (nothing here reaches the internet)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sabi.acquire import bilibili

bilibili.register()  # as sabi.cli does: the [bilibili] settings table and SQL table

sys.path.insert(0, str(Path(__file__).parent))

from bili_fake import FakeBilibili, FakeEpisode, FakeSeason  # noqa: E402
from bili_media import dash_parts, durl_segments  # noqa: E402


@pytest.fixture(scope="session")
def bili_media(tmp_path_factory, shared_media: Path) -> dict[str, dict[str, Path]]:
    d = tmp_path_factory.mktemp("bili-media")
    v1, a1 = dash_parts(
        shared_media / "big_buck_bunny_0_30.webm", d, "s1e1", seconds=12, size=(480, 270)
    )
    v2, a2 = dash_parts(shared_media / "big_buck_bunny_clip.mp4", d, "s1e2")
    seg1, seg2 = durl_segments(shared_media / "bikes.mp4", d, "s2e1", cut_at=5)
    return {
        "s1e1": {"video": v1, "audio": a1},
        "s1e2": {"video": v2, "audio": a2},
        "s2e1": {"seg1": seg1, "seg2": seg2},
    }


def make_fake(media: dict[str, dict[str, Path]]) -> FakeBilibili:
    """ss425 'Big Buck Bunny' (2 DASH episodes); ss426 'Street Life': a durl episode, then a
    VIP-only, a region-locked and a removed one."""
    fake = FakeBilibili()
    fake.add(
        FakeSeason(
            425,
            "Big Buck Bunny",
            [
                FakeEpisode(1001, "1", media["s1e1"], long_title="Morning", duration_ms=12000),
                FakeEpisode(1002, "2", media["s1e2"], long_title="The Chase", duration_ms=5300),
            ],
        )
    )
    fake.add(
        FakeSeason(
            426,
            "Street Life",
            [
                FakeEpisode(2001, "1", media["s2e1"], mode="durl", duration_ms=9920),
                FakeEpisode(2002, "2", media["s1e1"], mode="vip", badge="会员", status=13),
                FakeEpisode(2003, "3", media["s1e1"], mode="region"),
                FakeEpisode(2004, "4", media["s1e1"], mode="removed"),
            ],
        )
    )
    return fake


@pytest.fixture
def fake(bili_media) -> FakeBilibili:
    server = make_fake(bili_media)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bili_env(fake: FakeBilibili, tmp_path: Path, monkeypatch) -> Path:
    """cwd = tmp_path; SABI_* pointing at the fake, fast politeness, a fast descriptor."""
    monkeypatch.chdir(tmp_path)
    env = {
        "SABI_DATA_DIR": str(tmp_path / "data"),
        "SABI_DESCRIPTOR": "colorlayout",
        "SABI_BILIBILI__API_BASE": fake.url,
        "SABI_BILIBILI__CDN_BASE": fake.url,
        "SABI_BILIBILI__API_DELAY": "0",
        "SABI_BILIBILI__BACKOFF": "0.01",
        "SABI_BILIBILI__BACKOFF_MAX": "0.05",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return tmp_path
