"""An episode indexed by another process is found by every replica within seconds."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from replica_calls import client, search

_callers = itertools.count(1000)  # a new address each poll: the replicas allow 3 a minute


def _bikes_found(url: str, image: bytes) -> bool:
    answer = search(url, image, client(next(_callers)))
    assert answer.status_code == 200, answer.text
    return any(r["filename"] == "bikes.mp4" for r in answer.json()["result"])


def test_an_episode_indexed_meanwhile_is_found_by_both(replicas, library, shared_media: Path):
    from media import frame_at, screenshot

    _t, rgb = frame_at(shared_media / "bikes.mp4", 4.0)
    shot = screenshot(rgb)
    assert not any(_bikes_found(r.url, shot) for r in replicas)  # not there yet
    with library.sabi("worker") as worker:  # a process of its own, as a worker on any machine
        report = worker.index([shared_media / "bikes.mp4"], show="Street Bikes")
        assert report.ok, report.results
    waiting = {r.url for r in replicas}
    deadline = time.monotonic() + 60  # generous: it is expected at the next search
    while waiting and time.monotonic() < deadline:
        waiting = {url for url in waiting if not _bikes_found(url, shot)}
        time.sleep(0.2)
    assert not waiting, f"not found within a minute by {sorted(waiting)}"
