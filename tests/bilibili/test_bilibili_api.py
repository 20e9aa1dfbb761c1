"""The API client against the fake: season info, stream choice and fallback, error codes, 412."""

from __future__ import annotations

import pytest

from sabi.acquire.bilibili.api import BilibiliAPI, Throttled, Unavailable
from sabi.acquire.bilibili.config import BilibiliSettings


def cfg(fake, **kw) -> BilibiliSettings:
    base = {"api_base": fake.url, "cdn_base": fake.url, "api_delay": 0, "backoff": 0.01}
    return BilibiliSettings.model_validate({**base, **kw})


def test_season_lists_episodes_with_ids_and_durations(fake):
    with BilibiliAPI(cfg(fake)) as api:
        season = api.season(season_id=425)
        by_ep = api.season(ep_id=1002)
    assert season.title == "Big Buck Bunny" and season.season_id == 425
    e1, e2 = season.episodes
    assert (e1.ep_id, e1.cid, e1.aid, e1.bvid, e1.number) == (1001, 10010, 100100, "BV1fake1001", 1)
    assert e2.number == 2 and e2.long_title == "The Chase" and e2.duration == pytest.approx(5.3)
    assert by_ep.find(1002) == e2


def test_stream_picks_avc_dash_with_best_audio_and_rewrites_the_cdn(fake):
    with BilibiliAPI(cfg(fake, quality=64)) as api:
        ep = api.season(season_id=425).episodes[1]
        stream = api.stream(ep, 64)
    assert stream.kind == "dash" and stream.quality == 64 and stream.codec == "avc"
    assert stream.note is None
    video, audio = stream.parts
    assert video.urls[0].startswith(fake.url + "/upgcxcode/") and "qn=64" in video.urls[0]
    assert len(video.urls) == 2  # the backup URL is kept
    assert "qn=30280" in audio.urls[0]  # the 192K track
    call = fake.requests("/playurl")[-1]
    assert call["query"]["ep_id"] == "1002" and call["query"]["cid"] == "10020"
    assert call["query"]["fnval"] == "16" and call["query"]["qn"] == "64"
    assert "bilibili.com" in call["referer"] and "Mozilla" in call["ua"]


def test_quality_the_account_cannot_have_falls_back_with_a_note(fake):
    ep = None
    with BilibiliAPI(cfg(fake)) as api:
        ep = api.season(season_id=425).episodes[0]
        guest = api.stream(ep, 80)
    with BilibiliAPI(cfg(fake, SESSDATA="user")) as api:
        member = api.stream(ep, 116)
    with BilibiliAPI(cfg(fake, SESSDATA="vip")) as api:
        vip = api.stream(ep, 116)
    assert guest.quality == 64 and "80 (1080P)" in guest.note and "64 (720P)" in guest.note
    assert member.quality == 80 and "VIP" in member.note
    assert vip.quality == 116 and vip.note is None
    assert "SESSDATA=vip" in fake.requests("/playurl")[-1]["cookie"]


def test_durl_segments_keep_their_sizes(fake):
    with BilibiliAPI(cfg(fake)) as api:
        ep = api.season(season_id=426).episodes[0]
        stream = api.stream(ep, 64)
    assert stream.kind == "durl" and [p.name for p in stream.parts] == ["seg1", "seg2"]
    assert all(p.size and p.ext == "flv" for p in stream.parts)


@pytest.mark.parametrize(
    ("index", "kind", "words"),
    [(1, "vip", "VIP-only"), (2, "region", "region-locked"), (3, "removed", "removed")],
)
def test_unavailable_episodes_say_why(fake, index, kind, words):
    with BilibiliAPI(cfg(fake)) as api:
        ep = api.season(season_id=426).episodes[index]
        with pytest.raises(Unavailable) as info:
            api.stream(ep, 64)
    assert info.value.kind == kind and words in info.value.reason


def test_preview_only_answer_counts_as_vip_only(fake):
    fake.seasons[425].episodes[0].mode = "preview"
    with BilibiliAPI(cfg(fake)) as api:
        ep = api.season(season_id=425).episodes[0]
        with pytest.raises(Unavailable, match="preview") as info:
            api.stream(ep, 64)
    assert info.value.kind == "vip"


def test_unknown_season_is_reported(fake):
    with BilibiliAPI(cfg(fake)) as api, pytest.raises(Unavailable) as info:
        api.season(season_id=999)
    assert info.value.kind == "removed" and "ss999" in info.value.reason


def test_412_backs_off_then_succeeds_and_calls_are_spaced(fake):
    fake.api_412 = 2
    sleeps: list[float] = []
    with BilibiliAPI(cfg(fake, api_delay=0.5), sleep=sleeps.append) as api:
        season = api.season(season_id=425)
    assert season.episodes
    assert len(fake.requests("/pgc/view/web/season")) == 3
    backoffs = [s for s in sleeps if s < 0.1]
    assert len(backoffs) == 2 and backoffs[1] > backoffs[0]  # exponential
    assert any(s > 0.3 for s in sleeps)  # api_delay between calls


def test_412_forever_gives_up_with_a_reason(fake):
    fake.api_412 = 100
    with (
        BilibiliAPI(cfg(fake, retries=2), sleep=lambda s: None) as api,
        pytest.raises(Throttled, match="gave up after 3 tries"),
    ):
        api.season(season_id=425)
