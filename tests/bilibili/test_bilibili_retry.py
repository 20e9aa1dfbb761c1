"""A failed episode is retried by the next run, up to max_attempts; --retry-failed goes on;
autoRemove deletes the MP4 once it is indexed."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sabi.cli import app
from sabi.errors import PartlyFailed

ONE_SEASON = '[bilibili]\nretries = 0\nqueue = { season_id = [["bunny", 425]] }\n'


def status(cli) -> dict[int, dict]:
    return {
        r["ep_id"]: r for r in json.loads(cli.invoke(app, ["download", "status", "--json"]).stdout)
    }


def video_name(fake, ep_id: int) -> str:
    _, ep = fake.find_ep(ep_id)
    return fake.media_name(ep, "video", ep.files["video"])


def test_failed_episode_is_retried_on_rerun(bili_env, fake):
    (bili_env / "sabi.toml").write_text(ONE_SEASON)
    fake.cdn_500[video_name(fake, 1002)] = 1  # retries = 0: this run fails ep 2
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "-q"])
    assert r.exit_code == PartlyFailed.exit_code and "failed 1" in r.output
    rows = status(cli)
    assert rows[1001]["status"] == "indexed"
    assert rows[1002]["status"] == "failed" and rows[1002]["kind"] == "network"
    assert "HTTP 500" in rows[1002]["reason"] and rows[1002]["attempts"] == 1

    r = cli.invoke(app, ["download", "bilibili", "-q"])
    assert r.exit_code == 0, r.output
    assert "indexed 1, already done 1" in r.output
    rows = status(cli)
    assert rows[1002]["status"] == "indexed" and rows[1002]["attempts"] == 2
    assert rows[1002]["reason"] is None


def test_attempts_are_limited_and_retry_failed_overrides(bili_env, fake):
    (bili_env / "sabi.toml").write_text(ONE_SEASON + "max_attempts = 1\n")
    fake.cdn_500[video_name(fake, 1002)] = 1
    cli = CliRunner()
    cli.invoke(app, ["download", "bilibili", "-q"])
    r = cli.invoke(app, ["download", "bilibili", "-q"])
    assert "left alone 1" in r.output and "--retry-failed" in r.output
    assert status(cli)[1002]["status"] == "failed"
    r = cli.invoke(app, ["download", "bilibili", "-q", "--retry-failed"])
    assert r.exit_code == 0, r.output
    assert status(cli)[1002]["status"] == "indexed"


def test_auto_remove_deletes_the_mp4_after_indexing(bili_env, fake):
    (bili_env / "sabi.toml").write_text(ONE_SEASON)
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "-q", "--auto-remove"])
    assert r.exit_code == 0, r.output
    rows = status(cli)
    assert all(rows[e]["status"] == "indexed" and rows[e]["path"] is None for e in (1001, 1002))
    assert not list((bili_env / "data" / "bilibili").rglob("*.mp4"))
    stats = json.loads(cli.invoke(app, ["stats", "--json"]).stdout)
    assert stats["episodes"] == 2
