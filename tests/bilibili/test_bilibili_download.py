"""Downloads: Range resume from a .part, a connection dropped half-way, 5xx retries, sizes,
and the headers the CDN insists on."""

from __future__ import annotations

import pytest

from sabi.acquire.bilibili.api import BilibiliAPI, BilibiliError, Part
from sabi.acquire.bilibili.config import BilibiliSettings
from sabi.acquire.bilibili.download import Downloader


def cfg(fake, **kw) -> BilibiliSettings:
    base = {"api_base": fake.url, "cdn_base": fake.url, "api_delay": 0, "backoff": 0.01}
    return BilibiliSettings.model_validate({**base, **kw})


def video_part(fake) -> tuple[Part, bytes]:
    with BilibiliAPI(cfg(fake)) as api:
        stream = api.stream(api.season(season_id=425).episodes[1], 64)
    part = stream.parts[0]
    return part, fake.seasons[425].episodes[1].files["video"].read_bytes()


def name_of(part: Part) -> str:
    return part.urls[0].split("?")[0].rsplit("/", 1)[1]


def test_partial_file_resumes_with_range(fake, tmp_path):
    part, data = video_part(fake)
    dest = tmp_path / "v.m4s"
    (tmp_path / "v.m4s.part").write_bytes(data[:300_000])
    d = Downloader(cfg(fake))
    assert d.fetch(part, dest, "v") == len(data)
    assert dest.read_bytes() == data and not (tmp_path / "v.m4s.part").exists()
    media = fake.requests("/upgcxcode/")
    assert [r["range"] for r in media] == ["bytes=300000-"]


def test_connection_dropped_half_way_is_resumed_in_the_same_run(fake, tmp_path):
    part, data = video_part(fake)
    fake.drop_once[name_of(part)] = len(data) // 2
    d = Downloader(cfg(fake), sleep=lambda s: None)
    assert d.fetch(part, tmp_path / "v.m4s", "v") == len(data)
    assert (tmp_path / "v.m4s").read_bytes() == data
    ranges = [r["range"] for r in fake.requests("/upgcxcode/")]
    assert ranges[0] is None and ranges[1].startswith("bytes=") and ranges[1] != "bytes=0-"
    assert int(ranges[1][6:-1]) >= 16384  # it kept what it had


def test_server_errors_are_retried_on_the_backup_url(fake, tmp_path):
    part, data = video_part(fake)
    fake.cdn_500[name_of(part)] = 2
    d = Downloader(cfg(fake), sleep=lambda s: None)
    assert d.fetch(part, tmp_path / "v.m4s", "v") == len(data)
    hosts = [r for r in fake.requests("/upgcxcode/")]
    assert len(hosts) == 3


def test_a_complete_part_answered_416_is_finished(fake, tmp_path):
    part, data = video_part(fake)
    (tmp_path / "v.m4s.part").write_bytes(data)
    assert Downloader(cfg(fake)).fetch(part, tmp_path / "v.m4s", "v") == len(data)
    assert (tmp_path / "v.m4s").read_bytes() == data


def test_size_that_differs_from_the_api_is_refused(fake, tmp_path):
    part, data = video_part(fake)
    wrong = Part(part.name, part.urls, size=len(data) + 5)
    with pytest.raises(BilibiliError, match="size"):
        Downloader(cfg(fake), sleep=lambda s: None).fetch(wrong, tmp_path / "v.m4s", "v")
    assert not (tmp_path / "v.m4s").exists()


def test_without_referer_the_cdn_refuses(fake, tmp_path):
    part, _ = video_part(fake)
    with pytest.raises(BilibiliError, match="403"):
        Downloader(cfg(fake, referer="https://example.org")).fetch(part, tmp_path / "v", "v")
