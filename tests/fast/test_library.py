"""Stats, re-indexing and removal from the command line."""

from __future__ import annotations

import json

import pytest

from sabi.app import Sabi


def stats(cli, data) -> dict:
    r = cli("stats", "--json", "-d", data)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def scenes(cli, data, path) -> list[dict]:
    r = cli("search", path, "--json", "-d", data)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["result"]


def test_stats_counts_what_was_indexed(cli, fast_lib):
    s = stats(cli, fast_lib)
    assert (s["shows"], s["episodes"], s["failed"]) == (2, 3, 0)
    assert s["descriptor"] == "colorlayout"
    assert s["frames"] == s["stored_vectors"] > 0
    assert s["hours"] * 3600 == pytest.approx(8 + 6 + 6, abs=0.5)
    shows = {(x["title"], x["tag"], x["episodes"]) for x in s["show_list"]}
    assert shows == {("Alpha", "a", 2), ("Beta", "b", 1)}
    r = cli("stats", "-d", fast_lib)
    assert r.exit_code == 0 and "Alpha" in r.stdout and "Beta" in r.stdout


def test_reindexing_changes_nothing(cli, lib_copy, clips, shot):
    before = stats(cli, lib_copy)
    _, path = shot(clips["alpha1"], 5.0)
    found = scenes(cli, lib_copy, path)
    r = cli("index", clips["alpha1"].parent, "--show", "Alpha", "--tag", "a", "-q", "-d", lib_copy)
    assert r.exit_code == 0, r.output
    assert stats(cli, lib_copy) == before
    assert scenes(cli, lib_copy, path) == found  # the same episodes (ids included), same times
    with Sabi.open(data_dir=lib_copy, descriptor="colorlayout") as sabi:  # and no work was redone
        report = sabi.index([clips["alpha1"].parent], show="Alpha", tag="a")
    assert [r.status for r in report.results] == ["unchanged", "unchanged"]


def test_remove_a_show(cli, lib_copy, clips, shot):
    before = stats(cli, lib_copy)
    r = cli("remove", "--show", "Beta", "-d", lib_copy)
    assert r.exit_code == 0, r.output
    s = stats(cli, lib_copy)
    assert (s["shows"], s["episodes"]) == (1, 2)
    assert s["frames"] == s["stored_vectors"] < before["frames"]
    assert [x["title"] for x in s["show_list"]] == ["Alpha"]
    _, path = shot(clips["beta1"], 3.0)
    assert "Beta" not in {scene["show"]["title"] for scene in scenes(cli, lib_copy, path)}
    r = cli("remove", "--show", "Beta", "-d", lib_copy)  # nothing left to match
    assert r.exit_code != 0 and isinstance(r.exception, SystemExit)
