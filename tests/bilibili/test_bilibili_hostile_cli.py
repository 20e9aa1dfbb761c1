"""Bad ids and settings on the command line are usage errors; an unreachable API leaves what is
done as it is (issue 11)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sabi.acquire.bilibili.config import read_seed_settings
from sabi.cli import app
from sabi.errors import ConfigError

USAGE = 2


@pytest.mark.parametrize(
    "args",
    [
        ["--ep", "abc"],
        ["--ep", "ep12x"],
        ["--season", "ss12x"],
        ["--season", "ep425"],
        ["--ep", "-5"],
        ["--ep", "99999999999999999999999"],
        ["--season", "0"],
    ],
)
def test_a_bad_id_is_a_usage_error(bili_env, fake, args):
    r = CliRunner().invoke(app, ["download", "bilibili", *args, "-q"])
    assert r.exit_code == USAGE, r.output
    assert "is not a" in r.output and "Traceback" not in r.output
    assert not fake.log  # refused before anything was asked


def test_settings_pointing_at_a_folder_is_a_usage_error(bili_env, fake):
    folder = bili_env / "download_bilibili"
    folder.mkdir()
    r = CliRunner().invoke(app, ["download", "bilibili", "--settings", str(folder), "-q"])
    assert r.exit_code == USAGE, r.output
    assert "is a folder" in " ".join(r.output.split())
    with pytest.raises(ConfigError, match="is a folder"):
        read_seed_settings(folder)


def _status(cli: CliRunner) -> dict[int, dict]:
    rows = json.loads(cli.invoke(app, ["download", "status", "--json"]).stdout)
    return {row["ep_id"]: row for row in rows}


def test_unreachable_api_leaves_an_indexed_episode_done_and_its_tag(bili_env, fake, monkeypatch):
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "--ep", "2001", "--tag", "street", "-q"])
    assert r.exit_code == 0, r.output
    assert _status(cli)[2001]["status"] == "indexed"

    fake.stop()  # Bilibili out of reach: nothing answers on its port any more
    monkeypatch.setenv("SABI_BILIBILI__RETRIES", "1")
    for _ in range(4):  # more runs than max_attempts
        r = cli.invoke(app, ["download", "bilibili", "--ep", "2001", "-q"])
        assert r.exit_code == 0, r.output
        assert "already done 1" in r.output and "failed 0" in r.output
    row = _status(cli)[2001]
    assert (row["status"], row["tag"], row["kind"]) == ("indexed", "street", None)
    assert row["attempts"] == 1


def test_unreachable_api_fails_a_new_episode_without_spending_its_attempts(
    bili_env, fake, monkeypatch
):
    fake.stop()
    monkeypatch.setenv("SABI_BILIBILI__RETRIES", "0")
    cli = CliRunner()
    for _ in range(4):
        r = cli.invoke(app, ["download", "bilibili", "--ep", "2001", "--tag", "t", "-q"])
        assert "failed 1" in r.output and "left alone 0" in r.output
    row = _status(cli)[2001]
    assert (row["status"], row["kind"], row["tag"], row["attempts"]) == (
        "failed",
        "network",
        "t",
        0,
    )
