"""kill -9 an indexing run at several points; the next run finishes with no duplicates."""

from __future__ import annotations

import collections
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from media import frame_at, make_video, screenshot

from sabi.app import Sabi
from sabi.store.segments import list_segments


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("Crash Show")
    for i, source in enumerate(
        [
            "mandelbrot",
            "testsrc2",
            "life=size=640x360:rate=24:seed=4",
            "cellauto=size=640x360:rate=24",
        ],
        1,
    ):
        make_video(folder / f"Crash Show - {i:02d}.mp4", source, seconds=30, size=(640, 360))
    return folder


def _command(folder: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "sabi.cli", "index", str(folder), "-q", "--data-dir", str(data)]


def _start(folder: Path, data: Path) -> subprocess.Popen:
    return subprocess.Popen(
        _command(folder, data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _status_counts(data: Path) -> collections.Counter:
    db = data / "sabi.db"
    if not db.exists():
        return collections.Counter()
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return collections.Counter(s for (s,) in conn.execute("select status from episodes"))
    except sqlite3.Error:
        return collections.Counter()


def _wait_for(predicate, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return
        assert proc.poll() is None, f"indexer ended early: {proc.stderr.read().decode()}"
        time.sleep(0.01)
    raise AssertionError("condition never met")


def _segments(data: Path) -> dict[str, int]:
    folder = data / "faiss" / "segments"
    return list_segments(folder) if folder.exists() else {}


KILL_POINTS = {
    "while decoding the first file": lambda data: _status_counts(data)["indexing"] >= 1,
    "as the first segment lands": lambda data: len(_segments(data)) >= 1,
    "after two episodes are done": lambda data: _status_counts(data)["indexed"] >= 2,
}


def test_kill_at_several_points_then_resume(tmp_path, videos):
    data = tmp_path / "data"
    for name, point in KILL_POINTS.items():
        proc = _start(videos, data)
        _wait_for(lambda p=point: p(data), proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, name

    final = subprocess.run(_command(videos, data), capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert _status_counts(data) == {"indexed": 4}

    per_episode = collections.Counter(_segments(data).values())
    assert sorted(per_episode.values()) == [1, 1, 1, 1], per_episode
    with Sabi.open(data_dir=data) as sabi:
        assert sabi.store.count() == sabi.catalog.stats().frames
        assert sabi.store.episode_ids() == sabi.catalog.indexed_ids()
        for video in sorted(videos.iterdir()):
            t, rgb = frame_at(video, 15.0)
            best = sabi.search(screenshot(rgb)).result[0]
            assert best.filename == video.name
            if video.name.endswith("01.mp4"):  # the zoom never repeats a picture; the others can
                assert best.from_ - 1 <= t <= best.to + 1

    again = subprocess.run(_command(videos, data), capture_output=True, text=True)
    assert again.returncode == 0 and "unchanged 4" in again.stderr
