"""``sabi search FILE`` on hostile files: one ``error:`` line and exit status 4, never a
traceback or a hang; a valid picture under any file name is searched."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from corpus import audio_only, encode, eps, ffconcat, gif_bomb, picture, sdp, truncated, video

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))

from clirun import run_sabi  # noqa: E402

pytestmark = pytest.mark.timeout(60)

REFUSED = {
    "concat.ffconcat": lambda: ffconcat("clip.mp4"),
    "stream.sdp": sdp,
    "bomb.gif": gif_bomb,
    "drawing.eps": eps,
    "cut.jpg": lambda: truncated(encode(picture(), "JPEG")),
    "sound.mp4": audio_only,
    "strip.png": lambda: encode(picture(10, 30000), "PNG"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_with_one_error_line(tmp_path: Path, hostile_index: Path, name: str):
    (tmp_path / "clip.mp4").write_bytes(video())  # what the concat script names
    (tmp_path / name).write_bytes(REFUSED[name]())
    r = run_sabi("search", name, "-d", str(hostile_index), cwd=tmp_path)
    assert r.returncode == 4, (r.returncode, r.stderr)
    assert r.stderr.startswith("error:"), r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("name", ["画像\u202egnp.jpg", "img%03d.png", "-rf.jpg", "a b;$(id).jpg"])
def test_any_file_name_is_just_a_name(tmp_path: Path, hostile_index: Path, name: str):
    (tmp_path / name).write_bytes(encode(picture(), "JPEG"))
    r = run_sabi("search", f"./{name}", "-d", str(hostile_index), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
