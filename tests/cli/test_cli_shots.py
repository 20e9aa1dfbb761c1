"""`sabi search clip.mp4 --shots`: one line a shot, or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import run_sabi as sabi
from media import concat_clips

from sabi.app import Sabi

PIECES = [
    ("big_buck_bunny_0_30.webm", 5.0, 8.0),
    ("big_buck_bunny_clip.mp4", 0.5, 3.0),
    ("bikes.mp4", 2.0, 3.2),  # not indexed
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, shared_media: Path) -> Path:
    cwd = tmp_path_factory.mktemp("cli-shots")
    with Sabi.open(data_dir=cwd / "lib") as lib:
        for ep, name in enumerate(("big_buck_bunny_0_30.webm", "big_buck_bunny_clip.mp4"), 1):
            assert lib.index([shared_media / name], show="Bunny", episode=ep).ok
    concat_clips(cwd / "amv.mp4", [(shared_media / f, a, b) for f, a, b in PIECES])
    return cwd


def test_shots_prints_one_line_a_shot(workdir):
    r = sabi("search", "amv.mp4", "--shots", "--data-dir", "lib", cwd=workdir)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith("00:00.00-00:03.00  Bunny / ep 1  00:05")
    assert lines[1].startswith("00:03.00-00:05.50  Bunny / ep 2  00:00")
    assert lines[2].startswith("00:05.50-") and "not found" in lines[2]


def test_shots_json_and_its_errors(workdir):
    r = sabi("search", "amv.mp4", "--shots", "--json", "--data-dir", "lib", cwd=workdir)
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout)
    assert [s["result"] and s["result"]["episode"] for s in answer["shots"]] == [1, 2, None]
    assert answer["shots"][0]["result"]["from"] == answer["shots"][0]["result"]["at"]

    r = sabi(
        "search",
        "amv.mp4",
        "--shots",
        "--json",
        "--data-dir",
        "lib",
        cwd=workdir,
        SABI_MAX_SHOTS_SECONDS="2",
    )
    assert r.returncode == 4, r.stderr  # BadInput's exit status
    assert json.loads(r.stdout) == {
        "frameCount": 0,
        "error": "the clip is longer than 2 s, the most that is read; send a shorter clip",
        "shots": [],
    }
