"""add-vectors, and bad input: a clear error, a clean exit, nothing lost."""

from __future__ import annotations

import json

import numpy as np

from sabi.describe.colorlayout import ColourLayout
from sabi.pipeline.precomputed import EpisodeVectors, write_vector_file
from sabi.prepare.decode import sample_frames


def clean_failure(r) -> bool:
    """A refusal, not a crash: a non-zero exit through SystemExit, no traceback printed."""
    return r.exit_code != 0 and isinstance(r.exception, SystemExit) and "Traceback" not in r.output


def said(r) -> str:
    """What the command printed, with Rich's line wrapping undone."""
    return " ".join(r.output.split())


def vector_file(path, clip, descriptor="colorlayout"):
    frames = list(sample_frames(clip, 2.0, 320))
    vectors = ColourLayout().embed([f.rgb for f in frames])
    starts = np.array([f.time for f in frames], np.float32)
    episode = EpisodeVectors("Vec", vectors, starts, starts + 0.5, episode=3, tag="v")
    write_vector_file(path, descriptor, ColourLayout.dim, [episode])
    return path


def test_add_vectors_then_search(cli, tmp_path, clips, shot):
    data, npz = tmp_path / "lib", vector_file(tmp_path / "v.npz", clips["alpha1"])
    for _ in range(2):  # adding the same episode again replaces it
        r = cli("add-vectors", npz, "-d", data)
        assert r.exit_code == 0, r.output
        s = json.loads(cli("stats", "--json", "-d", data).stdout)
        assert (s["episodes"], s["frames"], s["descriptor"]) == (1, 16, "colorlayout")
    exact, path = shot(clips["alpha1"], 5.0)
    best = json.loads(cli("search", path, "--json", "-d", data).stdout)["result"][0]
    assert (best["show"]["title"], best["episode"], best["show"]["tag"]) == ("Vec", 3, "v")
    assert best["from"] - 1 <= exact <= best["to"] + 1


def test_bad_vector_files_are_refused(cli, tmp_path, clips):
    data = tmp_path / "lib"
    other = vector_file(tmp_path / "d.npz", clips["beta1"], descriptor="dhash")
    assert clean_failure(cli("add-vectors", other, "-d", data))  # made by another descriptor
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    assert clean_failure(cli("add-vectors", junk, "-d", data))
    assert clean_failure(cli("add-vectors", tmp_path / "missing.npz", "-d", data))


def test_bad_queries_are_refused(cli, fast_lib, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    r = cli("search", text, "-d", fast_lib)
    assert clean_failure(r) and "not an image or video" in said(r)
    assert clean_failure(cli("search", tmp_path / "missing.png", "-d", fast_lib))
    assert clean_failure(cli("index", tmp_path, "--rate", "0", "-d", tmp_path / "lib"))


def test_a_broken_file_fails_alone(cli, tmp_path, clips):
    folder, data = tmp_path / "Gamma", tmp_path / "lib"
    folder.mkdir()
    (folder / "Gamma - 01.mp4").write_bytes(clips["beta1"].read_bytes())
    (folder / "Gamma - 02.mp4").write_bytes(b"garbage" * 100)
    r = cli("index", folder, "-q", "-d", data)
    assert clean_failure(r) and "Gamma - 02.mp4" in said(r)
    s = json.loads(cli("stats", "--json", "-d", data).stdout)
    assert (s["episodes"], s["failed"]) == (1, 1) and s["frames"] == s["stored_vectors"] > 0
