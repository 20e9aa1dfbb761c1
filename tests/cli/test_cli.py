"""The `sabi` command end to end, as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from media import frame_at, screenshot


def sabi(*args: str, cwd: Path, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sabi.cli", *args], cwd=cwd, capture_output=True, input=input
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, shared_media) -> Path:
    cwd = tmp_path_factory.mktemp("cli")
    shows = cwd / "Bunny"
    shows.mkdir()
    shutil.copy(shared_media / "big_buck_bunny_0_30.webm", shows / "[Grp] Bunny - 01 [720p].webm")
    shutil.copy(shared_media / "big_buck_bunny_clip.mp4", shows / "Bunny S01E02.mp4")
    (shows / "Bunny - 03.mp4").write_bytes(b"garbage" * 100)
    return cwd


def test_init_writes_a_commented_file(workdir):
    r = sabi("init", "sabi.toml", cwd=workdir)
    assert r.returncode == 0
    text = (workdir / "sabi.toml").read_text()
    assert tomllib.loads(text) == {}  # everything commented: defaults apply
    assert "# rate = 2.0" in text
    assert sabi("init", "sabi.toml", cwd=workdir).returncode != 0  # no silent overwrite


def test_index_search_stats_remove(workdir, shared_media):
    r = sabi("index", "Bunny", "--tag", "bunny", "--quiet", cwd=workdir)
    err = r.stderr.decode()
    assert r.returncode == 1, err  # one file failed
    assert "Bunny - 03.mp4" in err and "warning" in err and "Traceback" not in err
    assert "indexed 2" in err and "failed 1" in err

    t, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 20.0)
    shot = workdir / "shot.jpg"
    shot.write_bytes(screenshot(rgb))
    r = sabi("search", "shot.jpg", "--json", cwd=workdir)
    assert r.returncode == 0, r.stderr.decode()
    data = json.loads(r.stdout)
    best = data["result"][0]
    assert best["filename"] == "[Grp] Bunny - 01 [720p].webm" and best["episode"] == 1
    assert best["show"] == {"id": 1, "title": "Bunny", "tag": "bunny"}
    assert best["from"] - 1 <= t <= best["to"] + 1

    r = sabi("search", "shot.jpg", cwd=workdir)
    assert "Bunny / ep 1" in r.stdout.decode()

    r = sabi("search", "-", cwd=workdir, input=shot.read_bytes())
    assert "Bunny / ep 1" in r.stdout.decode()

    r = sabi("stats", "--json", cwd=workdir)
    stats = json.loads(r.stdout)
    assert stats["episodes"] == 2 and stats["failed"] == 1
    assert stats["descriptor"] == "sscd_distilled" and stats["stored_vectors"] == stats["frames"]

    r = sabi("remove", "--show", "Bunny", cwd=workdir)
    assert r.returncode == 0 and "removed 3" in r.stdout.decode()
    stats = json.loads(sabi("stats", "--json", cwd=workdir).stdout)
    assert stats["episodes"] == 0 and stats["stored_vectors"] == 0


def test_bad_query_is_a_clear_error(workdir):
    (workdir / "notes.txt").write_text("hello")
    r = sabi("search", "notes.txt", cwd=workdir)
    assert r.returncode == 2
    assert "not an image or video" in r.stderr.decode()
    assert "Traceback" not in r.stderr.decode()
    r = sabi("search", "missing.png", cwd=workdir)
    assert r.returncode != 0 and "cannot read" in r.stderr.decode()
