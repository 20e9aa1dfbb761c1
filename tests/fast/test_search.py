"""Search from the command line: the right episode and moment, the JSON shape, filters."""

from __future__ import annotations

import json

import pytest

SCENE_KEYS = {"filename", "episode", "duration", "from", "at", "to", "similarity", "show"}


def search_json(cli, data, *args):
    r = cli("search", *args, "--json", "-d", data)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.parametrize("t", [1.3, 4.2, 6.6])
def test_screenshot_finds_its_episode_and_moment(cli, fast_lib, clips, shot, t):
    exact, path = shot(clips["alpha1"], t)
    best = search_json(cli, fast_lib, path)["result"][0]
    assert (best["show"]["title"], best["episode"], best["filename"]) == (
        "Alpha",
        1,
        "Alpha - 01.mp4",
    )
    assert best["from"] - 1 <= exact <= best["to"] + 1
    assert abs(best["at"] - exact) <= 1.0


@pytest.mark.parametrize(
    ("clip", "show", "episode"), [("alpha2", "Alpha", 2), ("beta1", "Beta", 1)]
)
def test_each_episode_is_found(cli, fast_lib, clips, shot, clip, show, episode):
    _, path = shot(clips[clip], 3.0)
    best = search_json(cli, fast_lib, path)["result"][0]
    assert (best["show"]["title"], best["episode"]) == (show, episode)


def test_json_has_trace_moe_shape(cli, fast_lib, clips, shot):
    _, path = shot(clips["alpha1"], 2.0)
    data = search_json(cli, fast_lib, path)
    stats = json.loads(cli("stats", "--json", "-d", fast_lib).stdout)
    assert data["frameCount"] == stats["frames"] and data["error"] == ""
    scenes = data["result"]
    assert scenes and all(scene.keys() >= SCENE_KEYS for scene in scenes)
    assert [s["similarity"] for s in scenes] == sorted(
        (s["similarity"] for s in scenes), reverse=True
    )
    assert all(0 <= s["similarity"] <= 1 and s["from"] <= s["at"] <= s["to"] for s in scenes)
    best = scenes[0]
    assert best["show"] == {"id": best["show"]["id"], "title": "Alpha", "tag": "a"}
    assert best["duration"] == pytest.approx(8.0, abs=0.1)


def test_filters_and_limit(cli, fast_lib, clips, shot):
    _, path = shot(clips["alpha1"], 2.0)
    tagged = search_json(cli, fast_lib, path, "--tag", "b")["result"]
    assert tagged and {s["show"]["title"] for s in tagged} == {"Beta"}
    shown = search_json(cli, fast_lib, path, "--show", "Beta")["result"]
    assert {s["show"]["title"] for s in shown} == {"Beta"}
    assert len(search_json(cli, fast_lib, path, "--limit", "1")["result"]) == 1


def test_human_output_and_stdin(cli, fast_lib, clips, shot):
    _, path = shot(clips["beta1"], 2.0)
    r = cli("search", path, "-d", fast_lib)
    assert r.exit_code == 0 and "Beta" in r.stdout
    r = cli("search", "-", "-d", fast_lib, input=path.read_bytes())
    assert r.exit_code == 0 and "Beta" in r.stdout
