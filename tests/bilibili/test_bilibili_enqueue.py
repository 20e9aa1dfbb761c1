"""With ``enqueue``, the downloader puts each MP4 on the indexing job queue instead of indexing
it; `sabi worker` indexes it, and the next download run records the episode as indexed."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sabi.app import Sabi
from sabi.cli import app

TOML = """
[bilibili]
enqueue = true
auto_remove = true
queue = { season_id = [["bunny", 425]] }
"""


def _download_status(cli: CliRunner) -> dict[int, dict]:
    rows = json.loads(cli.invoke(app, ["download", "status", "--json"]).stdout)
    return {row["ep_id"]: row for row in rows}


def test_downloads_go_to_the_queue_and_a_worker_indexes_them(bili_env, fake):
    (bili_env / "sabi.toml").write_text(TOML)
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "indexed 0, queued for workers 2," in r.output
    rows = _download_status(cli)
    assert {rows[e]["status"] for e in (1001, 1002)} == {"queued"}
    queue = json.loads(cli.invoke(app, ["status", "--json"]).stdout)
    assert queue["counts"] == {"queued": 2, "running": 0, "done": 0, "failed": 0}
    with Sabi.open(data_dir=bili_env / "data") as sabi:
        assert sabi.stats().episodes == 0  # nothing indexed by the downloader

    r = cli.invoke(app, ["worker", "--once"])
    assert r.exit_code == 0, r.output
    with Sabi.open(data_dir=bili_env / "data") as sabi:
        jobs = {j.path: j for j in sabi.worker().queue.jobs()}
        views = sabi.catalog.views(sabi.catalog.indexed_ids())
    assert {j.state for j in jobs.values()} == {"done"}
    by_path = {v.path: v for v in views.values()}
    for ep_id in (1001, 1002):
        mp4 = rows[ep_id]["path"]
        assert mp4 in by_path  # kept for the worker: auto_remove does not apply
        view = by_path[mp4]
        assert view.show_title == "Big Buck Bunny" and view.show_tag == "bunny"
        assert view.link == f"https://www.bilibili.com/bangumi/play/ep{ep_id}?t={{t}}"

    r = cli.invoke(app, ["download", "bilibili", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "already done 2" in r.output
    rows = _download_status(cli)
    assert {rows[e]["status"] for e in (1001, 1002)} == {"indexed"}
    assert {rows[e]["episode_id"] for e in (1001, 1002)} == {v.id for v in views.values()}
