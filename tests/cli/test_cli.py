"""The `sabi` command end to end, as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from clirun import run_sabi as sabi
from media import frame_at, screenshot


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
    again = sabi("init", "sabi.toml", cwd=workdir)  # no silent overwrite
    assert again.returncode == 1 and "error: sabi.toml exists; use --force" in again.stderr


def test_index_search_stats_remove(workdir, shared_media):
    r = sabi("index", "Bunny", "--tag", "bunny", "--quiet", cwd=workdir)
    assert r.returncode == 10, r.stderr  # one file failed, the others were indexed
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: skipped Bunny/Bunny - 03.mp4: cannot open: "
        "Invalid data found when processing input"
    ]
    assert "indexed 2" in r.stderr and "failed 1" in r.stderr and "Traceback" not in r.stderr
    assert "error: 1 of 3 files could not be indexed" in r.stderr

    t, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 20.0)
    shot = workdir / "shot.jpg"
    shot.write_bytes(screenshot(rgb))
    r = sabi("search", "shot.jpg", "--json", cwd=workdir)
    assert r.returncode == 0, r.stderr
    best = json.loads(r.stdout)["result"][0]
    assert best["filename"] == "[Grp] Bunny - 01 [720p].webm" and best["episode"] == 1
    assert best["show"] == {"id": 1, "title": "Bunny", "tag": "bunny"}
    assert abs(best["at"] - t) <= 1.0 and best["from"] <= best["at"] <= best["to"]

    first = sabi("search", "shot.jpg", cwd=workdir).stdout.splitlines()[0]
    assert "Bunny / ep 1" in first and first.endswith(f"episode id {best['episode_id']}")
    assert "#" not in first  # an id that reads like a rank is labelled, not '#1'

    r = sabi("search", "-", cwd=workdir, input=shot.read_bytes())
    assert r.stdout.splitlines()[0] == first

    _, other = frame_at(shared_media / "bikes.mp4", 5.0)  # a video this library lacks
    (workdir / "other.jpg").write_bytes(screenshot(other))
    lines = sabi("search", "other.jpg", cwd=workdir).stdout.splitlines()
    assert lines[0].startswith("probably not in the library") and "Bunny / ep" in lines[1]

    stats = json.loads(sabi("stats", "--json", cwd=workdir).stdout)
    assert stats["episodes"] == 2 and stats["failed"] == 1
    assert stats["descriptor"] == "sscd_distilled" and stats["stored_vectors"] == stats["frames"]
    # The failed file is not an episode of the show; the totals agree with the list.
    assert stats["show_list"] == [{"id": 1, "title": "Bunny", "tag": "bunny", "episodes": 2}]
    assert stats["shows"] == len(stats["show_list"])
    assert [Path(p).name for p in stats["failed_files"]] == ["Bunny - 03.mp4"]
    text = sabi("stats", cwd=workdir).stdout
    assert "shows 1, episodes 2" in text and "[1] Bunny #bunny: 2 episodes" in text
    assert "failed (`sabi index` tries them again):\n  Bunny/Bunny - 03.mp4" in text

    r = sabi("remove", "--show", "Bunny", cwd=workdir)
    assert r.returncode == 0 and "removed 3" in r.stdout
    stats = json.loads(sabi("stats", "--json", cwd=workdir).stdout)
    assert stats["episodes"] == 0 and stats["stored_vectors"] == 0 and stats["show_list"] == []
    r = sabi("remove", "--show", "Bunny", cwd=workdir)
    assert r.returncode == 5
    assert "error: nothing to remove: no indexed or failed episode has show 'Bunny'" in r.stderr


def test_a_lone_broken_file_is_no_show(tmp_path):
    (tmp_path / "broken.mkv").write_bytes(b"\x1aE\xdf\xa3 not really matroska" * 20)
    r = sabi("index", "broken.mkv", "-q", cwd=tmp_path)
    assert r.returncode == 10
    assert "warning: skipped broken.mkv: cannot open:" in r.stderr and "Errno" not in r.stderr
    stats = json.loads(sabi("stats", "--json", cwd=tmp_path).stdout)
    assert (stats["shows"], stats["episodes"], stats["failed"]) == (0, 0, 1)
    assert stats["show_list"] == []
