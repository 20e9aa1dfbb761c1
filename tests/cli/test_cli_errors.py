"""Errors at the command line: one `error:` line, the documented exit status, no traceback."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import typer
from clirun import run_sabi
from typer.testing import CliRunner

from sabi.acquire.bilibili.api import BilibiliError
from sabi.app import Sabi
from sabi.cli import app
from sabi.cli_errors import SabiGroup, describe, exit_code_table
from sabi.locks import write_lock
from sabi.pipeline.precomputed import EpisodeVectors

README = Path(__file__).resolve().parents[2] / "README.md"

# Every command that reads the settings, with arguments that get it as far as reading them.
COMMANDS = [
    ["index", "clip.mp4"],
    ["search", "shot.jpg"],
    ["stats"],
    ["remove", "--show", "x"],
    ["add-vectors", "v.npz"],
    ["serve"],
    ["keys", "create"],
    ["keys", "list"],
    ["keys", "revoke", "1"],
    ["download", "bilibili"],
    ["download", "status"],
    ["enqueue", "clip.mp4"],
    ["worker"],
    ["status"],
]
BAD_SETTINGS = {
    "value out of range": ("rate = -1\n", "rate = -1: input should be greater than 0"),
    "unknown key": ("ratee = 3\n", "unknown setting 'ratee'"),
    "not TOML": ("rate = \n", "not valid TOML"),
}


def test_readme_documents_every_exit_status():
    table = exit_code_table()
    assert table in README.read_text(), (
        "README's exit-status table is out of date; paste this in:\n" + table
    )
    codes = [int(row.split("|")[1]) for row in table.splitlines()[2:]]
    assert {0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 70, 130} <= set(codes)


@pytest.mark.parametrize("bad", BAD_SETTINGS, ids=list(BAD_SETTINGS))
@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_bad_settings_file_is_a_config_error_for_every_command(tmp_path, monkeypatch, args, bad):
    text, expected = BAD_SETTINGS[bad]
    (tmp_path / "sabi.toml").write_text(text)
    (tmp_path / "clip.mp4").write_bytes(b"not looked at: the settings are read first")
    (tmp_path / "shot.jpg").write_bytes(b"not looked at either")
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 3, r.output
    assert r.stdout == ""
    (line,) = r.stderr.splitlines()  # one line, no traceback
    assert line.startswith("error: ") and expected in line and "sabi.toml" in line
    assert not (tmp_path / "sabi-data").exists()


def test_bad_option_value_names_the_setting_not_the_file(tmp_path, shared_media):
    (tmp_path / "sabi.toml").write_text("resolution = 160\n")
    r = run_sabi("index", str(shared_media / "bikes.mp4"), "--rate", "-1", cwd=tmp_path)
    assert r.returncode == 3
    assert r.stderr == "error: invalid settings: rate = -1.0: input should be greater than 0\n"


def test_debug_shows_the_traceback(tmp_path):
    plain = run_sabi("stats", "-d", "typo", cwd=tmp_path)
    assert plain.returncode == 6 and "Traceback" not in plain.stderr
    for r in (
        run_sabi("--debug", "stats", "-d", "typo", cwd=tmp_path),
        run_sabi("stats", "-d", "typo", cwd=tmp_path, SABI_DEBUG="1"),
    ):
        assert r.returncode != 0
        assert "Traceback" in r.stderr and "sabi.errors.NoIndex: no index at typo" in r.stderr


def test_usage_errors_keep_status_2(tmp_path):
    (tmp_path / "show").mkdir()
    for args in (["index"], ["remove"], ["index", "show", "--episode", "3"], ["no-such-command"]):
        r = run_sabi(*args, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stderr)
    assert not (tmp_path / "sabi-data").exists()


def _dhash_library(data: Path) -> None:
    """A library made with the dhash descriptor holding one episode of show "x"."""
    with Sabi.open(data_dir=data, descriptor="dhash") as sabi:
        vecs = np.eye(2, sabi.embedder.dim, dtype=np.float32)
        sabi.add_vectors([EpisodeVectors("x", vecs, np.array([0.0, 1.0]), np.array([1.0, 2.0]))])


def test_another_writer_is_index_busy(tmp_path):
    data = tmp_path / "data"
    _dhash_library(data)
    with write_lock(data):
        r = CliRunner().invoke(app, ["remove", "--show", "x", "-d", str(data)])
    assert r.exit_code == 8, r.output
    assert r.stderr == f"error: another sabi process is writing to {data}\n"


def test_other_descriptor_is_index_mismatch(tmp_path):
    data = tmp_path / "data"
    _dhash_library(data)
    r = CliRunner().invoke(app, ["remove", "--show", "x", "-d", str(data)])
    assert r.exit_code == 9, r.output
    assert "error: this index was built with descriptor 'dhash'" in r.stderr


def _raising(exc: BaseException) -> typer.Typer:
    """A command group like sabi's whose one command raises ``exc``."""
    group = typer.Typer(cls=SabiGroup)

    @group.callback()
    def main(debug: bool = typer.Option(False, "--debug")) -> None:
        pass

    @group.command()
    def run() -> None:
        raise exc

    return group


def test_a_bug_is_reported_in_one_line_with_its_own_status():
    r = CliRunner().invoke(_raising(KeyError("episode")), ["run"])
    assert r.exit_code == 70
    assert r.stderr == (
        "error: unexpected KeyError: 'episode' (run with --debug for the traceback)\n"
    )
    r = CliRunner().invoke(_raising(KeyError("episode")), ["--debug", "run"])
    assert isinstance(r.exception, KeyError)  # let through, traceback and all


def test_ctrl_c_exits_130():
    r = CliRunner().invoke(_raising(KeyboardInterrupt()), ["run"])
    assert r.exit_code == 130
    assert r.stderr == "error: interrupted; run the same command again to resume\n"


def test_what_the_engine_raises_maps_to_documented_statuses():
    assert describe(BilibiliError("http", "HTTP 503 from the API")) == (
        "HTTP 503 from the API",
        11,
    )
    assert describe(PermissionError(13, "Permission denied", "/srv/sabi-data")) == (
        "Permission denied: /srv/sabi-data",
        1,
    )
    assert describe(FileNotFoundError(2, "No such file", "x.npz")) == (
        "no such file or folder: x.npz",
        5,
    )


def test_help_shows_no_value_after_a_flag():
    """A flag followed by ``<bool>`` reads as if it took a value."""
    runner = CliRunner()
    commands = [[]] + [[c] for c in ("index", "search", "stats", "remove", "add-vectors")]
    commands += [["serve"], ["init"], ["download", "bilibili"], ["download", "status"]]
    commands += [["keys", "create"], ["keys", "list"], ["keys", "revoke"]]
    commands += [["enqueue"], ["worker"], ["status"]]
    for args in commands:
        r = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "120"})
        assert r.exit_code == 0, args
        assert not re.search(r"<bool>|<list\[", r.output), (args, r.output)
