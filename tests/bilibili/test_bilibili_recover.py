"""Parts that arrived complete but corrupt are fetched again, and an MP4 muxed just before a
``kill -9`` is recognised instead of downloaded again (issue 11)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from typer.testing import CliRunner

from sabi.acquire.bilibili.runner import STOP_AT_ENV
from sabi.cli import app


def _status(cli: CliRunner) -> dict[int, dict]:
    rows = json.loads(cli.invoke(app, ["download", "status", "--json"]).stdout)
    return {row["ep_id"]: row for row in rows}


def test_a_complete_but_corrupt_part_is_fetched_again(bili_env, fake):
    work = bili_env / "data/bilibili/.partial/ep1001"
    work.mkdir(parents=True)
    corrupt = work / "dash-64-avc-video.m4s"  # complete (no .part), but not media at all
    corrupt.write_bytes(b"<html>502 Bad Gateway</html>" * 100)
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "--ep", "1001", "-q"])
    assert r.exit_code == 0, r.output
    assert "indexed 1," in r.output
    assert [x["path"] for x in fake.requests("10010-video")] == [
        "/upgcxcode/10/10010/10010-video.m4s"
    ]
    assert _status(cli)[1001]["status"] == "indexed"


def test_a_kept_segment_of_the_wrong_size_is_fetched_again(bili_env, fake):
    seg = fake.seasons[426].episodes[0].files["seg1"]
    work = bili_env / "data/bilibili/.partial/ep2001"
    work.mkdir(parents=True)
    (work / "durl-64-flv64-seg1.flv").write_bytes(seg.read_bytes()[: seg.stat().st_size // 2])
    r = CliRunner().invoke(app, ["download", "bilibili", "--ep", "2001", "-q"])
    assert r.exit_code == 0, r.output
    assert len(fake.requests("20010-seg1")) == 1


def test_a_part_corrupt_on_the_cdn_fails_the_episode_and_is_not_kept(bili_env, fake, tmp_path):
    bad = tmp_path / "garbage.m4s"
    bad.write_bytes(b"\x00" * 5000)
    ep = fake.seasons[425].episodes[1]
    ep.files = {**ep.files, "video": bad}
    fake.add(fake.seasons[425])
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "--ep", "1002", "-q"])
    assert "failed 1" in r.output
    row = _status(cli)[1002]
    assert row["kind"] == "corrupt" and "cannot be used" in row["reason"]
    assert len(fake.requests("10020-video")) == 2  # fetched once more, then given up
    assert not list((bili_env / "data/bilibili/.partial").glob("ep1002/*"))


def test_mp4_muxed_before_a_kill_is_recorded_not_downloaded_again(bili_env, fake):
    env_run = [sys.executable, "-m", "sabi.cli", "download", "bilibili", "--ep", "2001", "-q"]

    proc = subprocess.run(
        env_run,
        cwd=bili_env,
        env={**os.environ, STOP_AT_ENV: "muxed"},
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    (mp4,) = (bili_env / "data/bilibili").glob("*/*.mp4")
    cli = CliRunner()
    assert _status(cli)[2001]["status"] == "downloading"  # killed before it was recorded
    stamp = mp4.stat().st_mtime_ns
    media, play = len(fake.requests("/upgcxcode/")), len(fake.requests("/playurl"))

    r = cli.invoke(app, ["download", "bilibili", "--ep", "2001", "-q"])
    assert r.exit_code == 0, r.output
    assert "indexed 1," in r.output
    assert len(fake.requests("/upgcxcode/")) == media  # nothing downloaded again
    assert len(fake.requests("/playurl")) == play  # not even the stream URLs asked for
    assert mp4.stat().st_mtime_ns == stamp  # nor muxed again
    row = _status(cli)[2001]
    assert row["status"] == "indexed" and row["path"] == str(mp4)
    assert not (bili_env / "data/bilibili/.partial/ep2001").exists()
