"""What someone new meets first: a typo in a path, an empty folder, searching before indexing.

Commands that only read must not leave a data directory behind where a path was mistyped.
"""

from __future__ import annotations

import json

import pytest
from clirun import run_sabi as sabi

READ_ONLY = [
    ["search", "shot.jpg"],
    ["stats"],
    ["remove", "--show", "Frieren"],
    ["keys", "list"],
    ["keys", "revoke", "1"],
    ["download", "status"],
    ["status"],
]


@pytest.fixture
def cwd(tmp_path):
    (tmp_path / "shot.jpg").write_bytes(b"\xff\xd8 any bytes: the index is missing first")
    return tmp_path


@pytest.mark.parametrize("args", READ_ONLY, ids=[" ".join(a) for a in READ_ONLY])
def test_reading_commands_before_indexing_create_nothing(cwd, args):
    r = sabi(*args, cwd=cwd)
    assert r.returncode == 6, r.stderr
    assert r.stderr == "error: no index at sabi-data (run `sabi index` first)\n"
    assert sorted(p.name for p in cwd.iterdir()) == ["shot.jpg"]


def test_mistyped_data_dir_is_no_index_not_no_match(cwd):
    (cwd / "sabi-data").mkdir()
    for args in (["search", "shot.jpg", "-d", "sabi-dat"], ["stats", "--data-dir", "sabi-dat"]):
        r = sabi(*args, cwd=cwd)
        assert r.returncode == 6 and "error: no index at sabi-dat " in r.stderr
        assert "no match" not in r.stdout
    assert not (cwd / "sabi-dat").exists()


def test_search_json_still_answers_in_trace_moe_shape(cwd):
    r = sabi("search", "shot.jpg", "--json", cwd=cwd)
    assert r.returncode == 6
    assert json.loads(r.stdout) == {
        "frameCount": 0,
        "error": "no index at sabi-data (run `sabi index` first)",
        "result": [],
    }


def test_folder_without_videos_says_so(cwd):
    (cwd / "notes").mkdir()
    (cwd / "notes" / "readme.txt").write_text("no videos here")
    r = sabi("index", "notes", cwd=cwd)
    assert r.returncode == 7
    assert r.stderr.startswith("error: no video files in notes (looked for .3gp, .avi,")
    assert "real time" not in r.stderr
    assert not (cwd / "sabi-data").exists()


def test_missing_path_is_not_found(cwd):
    r = sabi("index", "Frieren", cwd=cwd)
    assert (r.returncode, r.stderr) == (5, "error: no such file or folder: Frieren\n")
    r = sabi("search", "missing.png", cwd=cwd)
    assert (r.returncode, r.stderr) == (5, "error: cannot read missing.png: no such file\n")
    assert not (cwd / "sabi-data").exists()


def test_a_file_that_is_no_image_is_bad_input(tmp_path, shared_media):
    sabi("index", str(shared_media / "big_buck_bunny_clip.mp4"), "-q", cwd=tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    r = sabi("search", "notes.txt", cwd=tmp_path)
    assert r.returncode == 4, r.stderr
    assert r.stderr == "error: not an image or video sabi can read\n"
