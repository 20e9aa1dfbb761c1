"""One worker on the embedded defaults (SQLite + FAISS): it indexes the queue as `sabi index`
would, holds the data directory's write lock, and writes nothing once its lease is gone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sabi.app import Sabi
from sabi.errors import IndexBusy
from sabi.locks import write_lock
from sabi.pipeline.queue import MAX_ATTEMPTS, utcnow


@pytest.fixture
def sabi(tmp_path: Path):
    with Sabi.open(data_dir=tmp_path / "data", descriptor="colorlayout") as s:
        yield s


def test_a_worker_indexes_every_queued_file_once(sabi, short_videos):
    sabi.enqueue([short_videos[0].parent], tag="q")
    report = sabi.work(once=True)
    assert [o.status for o in report.outcomes] == ["done"] * 4
    jobs = sabi.queue_status()
    assert jobs.counts == {"queued": 0, "running": 0, "done": 4, "failed": 0}
    stats = sabi.stats()
    assert stats.episodes == 4 and stats.show_list[0].title == "Queue Show"
    assert stats.stored_vectors == stats.frames > 0
    # Enqueued again, the files are checked and found unchanged: nothing is indexed twice.
    sabi.enqueue([short_videos[0].parent], tag="q")
    again = sabi.work(once=True)
    assert {o.result.status for o in again.outcomes} == {"unchanged"}
    assert sabi.store.count() == stats.frames


def test_an_embedded_store_allows_one_writer(sabi, short_videos):
    sabi.enqueue(short_videos[:1])
    lock = write_lock(sabi.settings.data_dir)
    try:
        with pytest.raises(IndexBusy):
            sabi.work(once=True)
    finally:
        lock.release()
    assert sabi.queue_status().counts["queued"] == 1


def test_a_worker_that_lost_its_lease_writes_nothing(sabi, short_videos):
    sabi.enqueue(short_videos[:1])
    worker = sabi.worker()
    job = worker.queue.claim(worker.name, 1)
    # It stalled past its lease; another worker took the job.
    taken = worker.queue.claim("other:1", 600, now=utcnow() + timedelta(seconds=2))
    assert taken is not None and taken.id == job.id
    outcome = worker._one(job)
    assert outcome.status == "lost"
    assert sabi.store.count() == 0
    row = worker.queue.get(job.id)
    assert (row.state, row.worker) == ("running", "other:1")


def test_a_bad_file_is_tried_max_attempts_times_then_failed(sabi, tmp_path):
    bad = tmp_path / "Broken - 01.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    sabi.enqueue([bad])
    report = sabi.work(once=True)
    assert [o.status for o in report.outcomes] == ["retry"] * (MAX_ATTEMPTS - 1) + ["failed"]
    status = sabi.queue_status()
    assert status.counts["failed"] == 1
    (failed,) = status.failed
    assert failed.path == str(bad) and failed.attempts == MAX_ATTEMPTS and failed.error
    assert sabi.stats().failed_files == (str(bad),)
