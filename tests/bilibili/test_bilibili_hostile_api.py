"""Valid JSON of the wrong shape, risk control and region locks from the API: each costs the one
season or episode it is about, with a reason, never the run (issue 11)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sabi.acquire.bilibili.api import BilibiliAPI, BilibiliError, Throttled, Unavailable
from sabi.acquire.bilibili.config import BilibiliSettings
from sabi.cli import app
from sabi.errors import PartlyFailed

SEASON = "/pgc/view/web/season"
PLAYURL = "/pgc/player/web/playurl"


def cfg(fake, **kw) -> BilibiliSettings:
    base = {"api_base": fake.url, "cdn_base": fake.url, "api_delay": 0, "backoff": 0.01}
    return BilibiliSettings.model_validate({**base, **kw})


def season_answer(episodes) -> dict:
    return {"code": 0, "result": {"season_id": 425, "title": "Odd", "episodes": episodes}}


@pytest.mark.parametrize(
    "answer",
    [
        [1, 2, 3],
        None,
        "a string",
        {"code": "abc", "result": {}},
        {"code": None},
        {"code": [0]},
        {"code": 0, "result": {"episodes": {"id": 1}}},
        {"code": 0, "result": {"episodes": 7}},
        {"code": 0, "result": {"title": ["x"], "episodes": []}},
        {"code": 0, "result": {"episodes": [], "section": "nope"}},
        {"code": 0, "result": {"season_id": 10**30, "episodes": []}},
        b"[" * 100_000 + b"]" * 100_000,  # valid JSON, nested past Python's recursion limit
    ],
)
def test_season_answer_of_the_wrong_shape_is_a_clear_error(fake, answer):
    fake.answers[SEASON] = answer
    with BilibiliAPI(cfg(fake)) as api, pytest.raises(BilibiliError) as info:
        api.season(season_id=425)
    assert "ss425" in info.value.reason


@pytest.mark.parametrize(
    "bad",
    [
        {"title": "1"},
        {"id": "abc", "title": "1"},
        {"id": [5]},
        {"id": 10**30},
        {"id": -3},
        "an episode",
        None,
        3,
    ],
)
def test_an_unusable_episode_entry_costs_that_entry_only(fake, bad):
    good = {"id": 1001, "cid": 10010, "title": "2"}
    fake.answers[SEASON] = season_answer([bad, good])
    with BilibiliAPI(cfg(fake)) as api:
        season = api.season(season_id=425)
    assert [e.ep_id for e in season.episodes] == [1001]
    assert season.episodes[0].number == 2  # numbered by its own title
    (why,) = season.skipped
    assert why.startswith("episodes[1] skipped")


@pytest.mark.parametrize(
    "result",
    [
        {"dash": {"video": [{"id": "abc", "base_url": "http://x/v.m4s"}]}},
        {"dash": {"video": "none"}},
        {"dash": [1, 2]},
        {"durl": [{"url": "http://x/1.flv", "size": "big"}]},
        {"durl": "x"},
        {"accept_quality": ["hd"], "durl": [{"url": "http://x/1.flv"}]},
        {"quality": 2**40, "durl": [{"url": "http://x/1.flv"}]},
    ],
)
def test_malformed_playurl_answer_is_an_api_error(fake, result):
    with BilibiliAPI(cfg(fake)) as api:
        ep = api.season(season_id=425).episodes[0]
        fake.answers[PLAYURL] = {"code": 0, "result": result}
        with pytest.raises(BilibiliError) as info:
            api.stream(ep, 64)
    assert info.value.kind == "api" and "unexpected shape" in info.value.reason


def test_hostile_answers_through_the_cli_fail_per_item_and_the_run_goes_on(bili_env, fake):
    """A playurl answer of the wrong shape: each episode fails with the reason, no traceback,
    and the run goes through the whole queue."""
    fake.answers[PLAYURL] = {"code": 0, "result": {"dash": {"video": [{"id": "x"}]}}}
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "--season", "425", "-q"])
    assert r.exit_code == PartlyFailed.exit_code, r.output
    out = " ".join(r.output.split())
    assert "Traceback" not in out and "unexpected shape: dash.video.0.id = 'x'" in out
    assert "failed 2" in out
    rows = json.loads(cli.invoke(app, ["download", "status", "--json"]).stdout)
    assert {row["kind"] for row in rows} == {"api"}


def test_risk_control_is_backed_off_then_fails_that_episode_only(fake):
    fake.seasons[425].episodes[0].mode = "risk"
    sleeps: list[float] = []
    with BilibiliAPI(cfg(fake, retries=3), sleep=sleeps.append) as api:
        ep, other = api.season(season_id=425).episodes
        with pytest.raises(Throttled) as info:
            api.stream(ep, 64)
        assert api.stream(other, 64).parts  # the next episode is unaffected
    calls = [c for c in fake.requests(PLAYURL) if c["query"]["ep_id"] == "1001"]
    assert len(calls) == 4  # the first try and 3 retries
    assert len([s for s in sleeps if s > 0]) >= 3  # backed off between them
    assert "risk control" in info.value.reason and "-352" in info.value.reason
    assert "SESSDATA" in info.value.reason


def test_region_lock_as_10403_fails_at_once_without_retrying(fake):
    fake.seasons[425].episodes[0].mode = "region10403"
    with BilibiliAPI(cfg(fake, retries=3), sleep=lambda s: None) as api:
        ep = api.season(season_id=425).episodes[0]
        with pytest.raises(Unavailable) as info:
            api.stream(ep, 64)
    assert info.value.kind == "region" and "region-locked" in info.value.reason
    assert len(fake.requests(PLAYURL)) == 1


def test_risk_control_and_region_through_the_cli(bili_env, fake, monkeypatch):
    monkeypatch.setenv("SABI_BILIBILI__RETRIES", "2")
    fake.seasons[425].episodes[0].mode = "risk"
    fake.seasons[425].episodes[1].mode = "region10403"
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "--season", "425", "-q"])
    assert r.exit_code == PartlyFailed.exit_code, r.output
    out = " ".join(r.output.split())
    assert "risk control" in out and "region-locked" in out
    rows = {
        x["ep_id"]: x for x in json.loads(cli.invoke(app, ["download", "status", "--json"]).stdout)
    }
    assert rows[1001]["status"] == rows[1002]["status"] == "failed"
    assert rows[1002]["kind"] == "region"
