"""`sabi index` runs to the end while another process searches the same data directory.

The searching process opens the library before anything is indexed and keeps one store open,
as `sabi serve` does, and every few searches also opens it afresh, as `sabi search` does (a
store that cleaned up "stale" temporary files on open used to kill the indexer here). A small
exact_below makes the indexer train and retrain the PQ during the
run, so the reader also swaps in retrained indexes while it answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from media import frame_at, make_video, screenshot

from sabi.app import Sabi

READER = """
import json, sys, time
from pathlib import Path
from sabi.app import Sabi
data, query, stop, out = map(Path, sys.argv[1:5])
answers, errors, counts, last = 0, [], [], None
with Sabi.open(data_dir=data) as sabi:
    body = query.read_bytes()
    while not stop.exists():
        try:
            if answers % 5 == 4:
                with Sabi.open(data_dir=data) as once:
                    once.search(body)
            r = sabi.search(body)
            answers += 1
            counts.append(r.frameCount)
            if r.result:
                last = (r.result[0].filename, r.result[0].from_, r.result[0].to)
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.02)
out.write_text(json.dumps({"answers": answers, "errors": errors, "counts": counts, "last": last}))
"""


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("Busy Show")
    sources = ["mandelbrot", "testsrc2", "life=size=640x360:rate=24:seed=9", "cellauto"]
    for i, source in enumerate(sources, 1):
        make_video(folder / f"Busy Show - {i:02d}.mp4", source, seconds=20, size=(640, 360))
    return folder


def test_index_runs_to_the_end_while_another_process_searches(tmp_path, videos):
    env = {**os.environ, "SABI_EXACT_BELOW": "60", "SABI_RERANK": "40", "SABI_PQ_BYTES": "32"}
    data, clean = tmp_path / "data", tmp_path / "clean"
    t, rgb = frame_at(videos / "Busy Show - 01.mp4", 12.0)
    query = tmp_path / "query.jpg"
    query.write_bytes(screenshot(rgb))
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(data), str(query), str(stop), str(out)], env=env
    )
    time.sleep(2.0)  # the reader has opened the empty library and is searching
    index = [sys.executable, "-m", "sabi.cli", "index", str(videos), "-q"]
    run = subprocess.run([*index, "--data-dir", str(data)], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    time.sleep(3.0)  # the reader catches up with the last episode
    stop.touch()
    assert reader.wait(60) == 0
    seen = json.loads(out.read_text())
    clean_run = subprocess.run(
        [*index, "--data-dir", str(clean)], env=env, capture_output=True, text=True
    )
    assert clean_run.returncode == 0, clean_run.stderr
    with Sabi.open(data_dir=data) as a, Sabi.open(data_dir=clean) as b:
        frames = a.stats().frames
        assert frames == b.stats().frames == a.store.count() == b.store.count()
        assert a.store.episode_ids() == a.catalog.indexed_ids()
        assert len(list((data / "faiss" / "segments").glob("*.npy"))) == 4
        assert (data / "faiss" / "cache.json").exists()  # the PQ was trained and published
    assert seen["errors"] == []
    assert seen["answers"] >= 20
    assert seen["counts"][0] == 0 and seen["counts"][-1] == frames
    assert seen["counts"] == sorted(seen["counts"])  # frames only ever appeared
    filename, start, end = seen["last"]
    assert filename == "Busy Show - 01.mp4" and start - 1 <= t <= end + 1
