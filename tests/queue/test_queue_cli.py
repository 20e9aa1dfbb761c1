"""`sabi enqueue`, `sabi status` and `sabi worker` through the command line (SQLite)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sabi.app import Sabi
from sabi.cli import app
from sabi.errors import NothingToIndex


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SABI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SABI_DESCRIPTOR", "colorlayout")
    return tmp_path


def test_enqueue_status_worker(env, short_videos):
    cli = CliRunner()
    r = cli.invoke(app, ["enqueue", *map(str, short_videos[:2]), "--show", "Q", "--tag", "q"])
    assert r.exit_code == 0, r.output
    assert "queued 2 new" in r.stdout
    r = cli.invoke(app, ["enqueue", str(short_videos[0])])
    assert "queued 0 new" in r.stdout and "1 already queued" in r.stdout

    with Sabi.open(data_dir=env / "data") as sabi:  # a worker holding one job
        held = sabi.worker().queue.claim("host:42", 90)
    status = json.loads(cli.invoke(app, ["status", "--json"]).stdout)
    assert status["counts"] == {"queued": 1, "running": 1, "done": 0, "failed": 0}
    (running,) = status["running"]
    assert running["id"] == held.id and running["worker"] == "host:42"
    assert running["path"] == str(short_videos[0]) and running["attempts"] == 1
    assert running["lease_until"].endswith("+00:00") and status["failed"] == []
    text = cli.invoke(app, ["status"]).stdout
    assert "running 1" in text and "worker host:42" in text

    r = cli.invoke(app, ["worker", "--max-jobs", "1"])
    assert r.exit_code == 0, r.output
    assert "indexed" in r.stderr and "done 1" in r.stderr
    status = json.loads(cli.invoke(app, ["status", "--json"]).stdout)
    assert status["counts"]["done"] == 1 and status["counts"]["running"] == 1


def test_enqueue_of_no_video_is_an_error(env):
    (env / "empty").mkdir()
    r = CliRunner().invoke(app, ["enqueue", str(env / "empty")])
    assert r.exit_code == NothingToIndex.exit_code
    assert "no video files" in r.output
    assert not (env / "data").exists()
