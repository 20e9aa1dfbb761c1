"""`sabi export --show`, and the errors of export and import (exit codes of sabi.errors)."""

from __future__ import annotations

import json

import numpy as np
from conftest import answers, assert_same_answers
from typer.testing import CliRunner

from sabi.app import Sabi
from sabi.cli import app
from sabi.errors import BadInput, NoIndex, NotFound
from sabi.pipeline.precomputed import read_vector_file


def test_export_of_one_show_holds_only_that_show(tmp_path, embedded, queries):
    out = tmp_path / "bikes.npz"
    r = CliRunner().invoke(app, ["export", str(out), "--show", "Bikes", "-d", str(embedded)])
    assert r.exit_code == 0, r.output
    vf = read_vector_file(out)
    assert [e["show"] for e in vf.episodes] == ["Bikes"]
    assert [e["filename"] for e in vf.episodes] == ["bikes.mp4"]
    assert vf.episodes[0]["tag"] == "bikes" and vf.episodes[0]["cuts"]
    with Sabi.open(data_dir=embedded) as sabi:
        whole = answers(sabi, queries)
    with Sabi.open(data_dir=tmp_path / "lib") as sabi:
        sabi.import_file(out)
        assert [s.title for s in sabi.stats().show_list] == ["Bikes"]
        got = answers(sabi, queries)
    assert all(x[0] == "Bikes" for a in got for x in a)
    # The Bikes screenshots (the last three) find the same Bikes scenes as in the whole library.
    assert_same_answers([[x for x in a if x[0] == "Bikes"] for a in whole[3:]], got[3:])


def test_exporting_an_unknown_show_or_an_empty_library(tmp_path, embedded):
    r = CliRunner().invoke(
        app, ["export", str(tmp_path / "x.npz"), "--show", "Nope", "-d", str(embedded)]
    )
    assert r.exit_code == NotFound.exit_code
    assert "Nope" in r.stderr and not (tmp_path / "x.npz").exists()
    r = CliRunner().invoke(app, ["export", str(tmp_path / "x.npz"), "-d", str(tmp_path / "none")])
    assert r.exit_code == NoIndex.exit_code


def test_a_corrupt_or_foreign_file_is_refused_and_adds_nothing(tmp_path, embedded):
    good = tmp_path / "good.npz"
    with Sabi.open(data_dir=embedded) as sabi:
        sabi.export(good)
    raw = good.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(raw[: len(raw) // 2])  # a copy that stopped half way
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, vectors=np.zeros((3, 4)), meta=np.array(json.dumps({"format": "other"})))
    text = tmp_path / "notes.npz"
    text.write_text("not a zip at all")
    lib = tmp_path / "lib"
    for bad in (cut, foreign, text):
        r = CliRunner().invoke(app, ["import", str(bad), "-d", str(lib)])
        assert r.exit_code == BadInput.exit_code, (bad.name, r.output)
        assert "not a sabi vector file" in r.stderr or "vector" in r.stderr
        with Sabi.open(data_dir=lib) as sabi:
            assert sabi.stats().episodes == 0
