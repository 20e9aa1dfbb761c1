"""An embedded library of two real clips, and screenshot queries of them, for the round trips."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from media import frame_at, screenshot

from sabi.app import Sabi

CLIPS = {"big_buck_bunny_0_30.webm": ("Bunny", 29.0), "bikes.mp4": ("Bikes", 9.5)}


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, shared_media: Path) -> Path:
    """A data directory with the defaults (FAISS + SQLite) holding the two clips."""
    data = tmp_path_factory.mktemp("embedded")
    with Sabi.open(data_dir=data) as sabi:
        for name, (show, _) in CLIPS.items():
            tag = show.lower()
            report = sabi.index([shared_media / name], show=show, tag=tag, episode=1)
            assert report.ok
    return data


@pytest.fixture(scope="module")
def queries(shared_media: Path) -> list[bytes]:
    """Three screenshots (scaled, letterboxed, JPEG) of each clip."""
    shots = []
    for name, (_, length) in CLIPS.items():
        rng = random.Random(f"portability-{name}")
        for _ in range(3):
            _, rgb = frame_at(shared_media / name, rng.uniform(0.5, length - 0.5))
            shots.append(screenshot(rgb))
    return shots


def answers(sabi: Sabi, queries: list[bytes]) -> list[list[tuple[str, str, float, float]]]:
    """Per query: (show, file, at, similarity) of every scene returned."""
    return [
        [(r.show.title, r.filename, r.at, r.similarity) for r in sabi.search(q).result]
        for q in queries
    ]


def assert_same_answers(before: list, after: list) -> None:
    assert len(before) == len(after)
    for b, a in zip(before, after, strict=True):
        assert b, "every query should find something"
        assert [x[:2] for x in a] == [x[:2] for x in b]
        for (_, _, at_b, sim_b), (_, _, at_a, sim_a) in zip(b, a, strict=True):
            assert at_a == pytest.approx(at_b, abs=1e-3)
            assert sim_a == pytest.approx(sim_b, abs=1e-3)
