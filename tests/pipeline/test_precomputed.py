"""Episodes added from precomputed vectors are found like indexed ones (API and CLI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from media import frame_at, screenshot

from sabi.app import Sabi
from sabi.describe import make_embedder
from sabi.errors import BadInput, DescriptorMismatch, NotFound
from sabi.pipeline.precomputed import (
    THUMB_BYTES,
    EpisodeVectors,
    read_vector_file,
    write_vector_file,
)
from sabi.prepare.decode import sample_frames
from sabi.settings import Settings


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sabi.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def vector_file(tmp_path_factory, synth_video: Path) -> Path:
    """The synthetic video described elsewhere: its frames at 2 per second, and a second
    episode of random vectors."""
    settings = Settings()
    embedder = make_embedder(settings)
    frames = list(sample_frames(synth_video, 2.0, settings.resolution))
    vectors = embedder.embed([f.rgb for f in frames])
    starts = np.array([f.time for f in frames], np.float32)
    noise = np.random.default_rng(0).standard_normal((30, embedder.dim)).astype(np.float32)
    path = tmp_path_factory.mktemp("vectors") / "library.npz"
    write_vector_file(
        path,
        embedder.name,
        embedder.dim,
        [
            EpisodeVectors("Synth", vectors, starts, starts + 0.5, episode=1, tag="synth"),
            EpisodeVectors(
                "Noise",
                noise / np.linalg.norm(noise, axis=1, keepdims=True),
                np.arange(30, dtype=np.float32),
                np.arange(30, dtype=np.float32) + 1,
                filename="noise.mkv",
            ),
        ],
    )
    return path


def test_added_vectors_answer_a_screenshot(tmp_path, vector_file, synth_video):
    vf = read_vector_file(vector_file)
    assert (vf.descriptor, vf.frames, len(vf.episodes)) == ("sscd_distilled", vf.frames, 2)
    t, rgb = frame_at(synth_video, 13.0)
    with Sabi.open(data_dir=tmp_path) as sabi:
        ids = sabi.add_vectors(vf.items(), descriptor=vf.descriptor)
        assert len(ids) == 2
        assert sabi.stats().frames == sabi.store.count() == vf.frames
        best = sabi.search(screenshot(rgb)).result[0]
        assert (best.show.title, best.episode, best.show.tag) == ("Synth", 1, "synth")
        assert best.from_ - 1 <= t <= best.to + 1
        # Adding the same episodes again replaces them.
        again = sabi.add_vectors(vf.items(), descriptor=vf.descriptor)
        assert set(again).isdisjoint(ids)
        assert sabi.stats().frames == sabi.store.count() == vf.frames
        assert sabi.store.episode_ids() == set(again)
        with pytest.raises(DescriptorMismatch, match="dhash"):
            sabi.add_vectors(vf.items(), descriptor="dhash")
        wrong = EpisodeVectors("X", np.ones((3, 7), np.float32), np.zeros(3), np.ones(3))
        with pytest.raises(BadInput, match=r"\(n, 512\)"):
            sabi.add_vectors([wrong])


def test_cli_adds_a_vector_file_and_refuses_bad_ones(tmp_path, vector_file):
    data = tmp_path / "lib"
    r = cli("add-vectors", str(vector_file), "--data-dir", str(data))
    assert r.returncode == 0, r.stderr
    assert "added 2 episode(s)" in r.stdout
    stats = cli("stats", "--json", "--data-dir", str(data))
    assert '"episodes": 2' in stats.stdout
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    r = cli("add-vectors", str(bad), "--data-dir", str(data))
    assert r.returncode == BadInput.exit_code and "not a sabi vector file" in r.stderr
    r = cli("add-vectors", str(tmp_path / "missing.npz"), "--data-dir", str(data))
    assert r.returncode == NotFound.exit_code and "no such file" in r.stderr
    other = tmp_path / "other.npz"
    np.savez(other, meta=np.array('{"format": "something else"}'))
    r = cli("add-vectors", str(other), "--data-dir", str(data))
    assert r.returncode == BadInput.exit_code and "no 'sabi-vectors' header" in r.stderr


def test_sampled_frame_thumbnails_travel_with_the_file(tmp_path):
    """Version 3 carries each episode's thumbnails into the catalogue; an episode without any
    (imported from elsewhere) and a version 2 file (none at all) still read."""
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((4, 33)).astype(np.float32)  # Colour Layout's size
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    times = np.arange(4, dtype=np.float32)
    thumbs = [(0.5 * k, bytes(rng.integers(0, 256, THUMB_BYTES, np.uint8))) for k in range(7)]
    items = [
        EpisodeVectors("A", vectors, times, times + 1, filename="a.mkv", samples=thumbs),
        EpisodeVectors("B", vectors, times, times + 1, filename="b.mkv"),
    ]
    path = tmp_path / "v3.npz"
    write_vector_file(path, "colorlayout", 33, items)
    a, b = read_vector_file(path).items()
    assert a.samples == thumbs and b.samples is None

    with Sabi.open(data_dir=tmp_path / "lib", descriptor="colorlayout") as sabi:
        ids, _ = sabi.import_file(path)
        assert sabi.catalog.samples(ids[0], 0.0, 10.0) == thumbs
        assert sabi.catalog.samples(ids[1], 0.0, 10.0) == []

    old = tmp_path / "v2.npz"  # as sabi wrote them before: no sample arrays, version 2
    meta = {
        "format": "sabi-vectors",
        "version": 2,
        "descriptor": "colorlayout",
        "dim": 33,
        "episodes": [{"show": "A", "rows": 4, "cuts": [0.0]}],
    }
    np.savez(old, meta=np.array(json.dumps(meta)), vectors=vectors, starts=times, ends=times + 1)
    (item,) = read_vector_file(old).items()
    assert item.samples is None and item.cuts == [0.0]


def test_thumbnails_of_another_size_still_read(tmp_path):
    """A version 3 file written when thumbnails were 16x9 reads whole; search leaves rows of
    another size aside (sabi.search.lookalike)."""
    vectors = np.eye(4, 33, dtype=np.float32)
    times = np.arange(4, dtype=np.float32)
    small = np.arange(3 * 144, dtype=np.uint8).reshape(3, 144) % 251
    meta = {
        "format": "sabi-vectors",
        "version": 3,
        "descriptor": "colorlayout",
        "dim": 33,
        "episodes": [{"show": "A", "rows": 4, "samples": 3}],
    }
    path = tmp_path / "v3-16x9.npz"
    np.savez(
        path,
        meta=np.array(json.dumps(meta)),
        vectors=vectors,
        starts=times,
        ends=times + 1,
        sample_times=np.array([0.0, 0.5, 1.0], np.float32),
        sample_thumbs=small,
    )
    (item,) = read_vector_file(path).items()
    assert item.samples == [(t, bytes(row)) for t, row in zip([0.0, 0.5, 1.0], small, strict=True)]
