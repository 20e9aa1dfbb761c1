"""The job table on SQLite: enqueue is idempotent; claims, leases, completion and failure."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from sabi.catalog import Catalog
from sabi.pipeline.queue import MAX_ATTEMPTS, JobQueue, utcnow

pytestmark = pytest.mark.fast

LEASE = 60.0


@pytest.fixture
def queue(tmp_path: Path) -> JobQueue:
    catalog = Catalog(f"sqlite:///{tmp_path / 'sabi.db'}")
    yield JobQueue(catalog)
    catalog.close()


def _files(tmp_path: Path, n: int) -> list[tuple[Path, str]]:
    return [(tmp_path / f"ep{i}.mp4", "Show") for i in range(n)]


def test_enqueue_twice_makes_one_job_per_file(queue, tmp_path):
    first = queue.enqueue(_files(tmp_path, 2), tag="t")
    again = queue.enqueue(_files(tmp_path, 3), tag="t")
    assert len(first.added) == 2
    assert len(again.added) == 1 and len(again.already) == 2
    assert [j.state for j in queue.jobs()] == ["queued"] * 3
    assert queue.status().counts == {"queued": 3, "running": 0, "done": 0, "failed": 0}


def test_a_done_job_enqueued_again_is_queued_again(queue, tmp_path):
    queue.enqueue(_files(tmp_path, 1))
    job = queue.claim("w1", LEASE)
    assert queue.complete(job.id, "w1", episode_id=7)
    again = queue.enqueue(_files(tmp_path, 1), tag="new")
    assert again.requeued == [str(tmp_path / "ep0.mp4")]
    (row,) = queue.jobs()
    assert (row.state, row.attempts, row.tag, row.worker) == ("queued", 0, "new", None)


def test_a_running_job_is_not_disturbed_by_enqueue(queue, tmp_path):
    queue.enqueue(_files(tmp_path, 1))
    job = queue.claim("w1", LEASE)
    queue.enqueue(_files(tmp_path, 1))
    row = queue.get(job.id)
    assert (row.state, row.worker) == ("running", "w1")


def test_claim_then_complete(queue, tmp_path):
    queue.enqueue(_files(tmp_path, 2))
    a = queue.claim("w1", LEASE)
    b = queue.claim("w2", LEASE)
    assert a.id != b.id and a.state == b.state == "running"
    assert a.worker == "w1" and a.attempts == 1 and a.lease_until > utcnow()
    assert queue.claim("w3", LEASE) is None  # both held
    assert queue.complete(a.id, "w1", episode_id=1)
    assert queue.get(a.id).state == "done" and queue.get(a.id).episode_id == 1
    assert queue.pending() == 1


def test_an_expired_lease_is_claimed_again(queue, tmp_path):
    queue.enqueue(_files(tmp_path, 1))
    a = queue.claim("dead", 5)
    assert queue.claim("w2", 5) is None
    later = utcnow() + timedelta(seconds=6)
    b = queue.claim("w2", 5, now=later)
    assert b is not None and b.id == a.id
    assert (b.worker, b.attempts) == ("w2", 2)


def test_a_stale_worker_cannot_complete_renew_or_fail_a_reclaimed_job(queue, tmp_path):
    queue.enqueue(_files(tmp_path, 1))
    a = queue.claim("stale", 1)
    queue.claim("w2", 60, now=utcnow() + timedelta(seconds=2))
    assert not queue.renew(a.id, "stale", 60)
    assert not queue.complete(a.id, "stale", episode_id=1)
    assert not queue.fail(a.id, "stale", "boom")
    row = queue.get(a.id)
    assert (row.state, row.worker, row.error) == ("running", "w2", None)
    assert queue.complete(a.id, "w2", episode_id=1)


def test_renew_extends_the_lease(queue, tmp_path):
    queue.enqueue(_files(tmp_path, 1))
    a = queue.claim("w1", 1)
    assert queue.renew(a.id, "w1", 600)
    assert queue.get(a.id).lease_until > utcnow() + timedelta(seconds=500)


def test_failures_are_retried_then_left_failed(queue, tmp_path):
    queue.enqueue(_files(tmp_path, 1))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        job = queue.claim("w1", LEASE)
        assert job is not None and job.attempts == attempt
        assert queue.fail(job.id, "w1", f"bad file {attempt}")
    (row,) = queue.jobs()
    assert (row.state, row.error) == ("failed", f"bad file {MAX_ATTEMPTS}")
    assert queue.claim("w1", LEASE) is None
    assert [j.path for j in queue.status().failed] == [row.path]


def test_a_job_whose_workers_keep_dying_is_failed(queue, tmp_path):
    queue.enqueue(_files(tmp_path, 1))
    now = utcnow()
    for i in range(MAX_ATTEMPTS):
        now += timedelta(seconds=10)
        assert queue.claim(f"w{i}", 5, now=now) is not None
    assert queue.claim("last", 5, now=now + timedelta(seconds=10)) is None
    (row,) = queue.jobs()
    assert row.state == "failed" and f"after {MAX_ATTEMPTS} attempts" in row.error


def test_release_gives_the_job_back_uncounted(queue, tmp_path):
    queue.enqueue(_files(tmp_path, 1))
    a = queue.claim("w1", LEASE)
    assert queue.release(a.id, "w1")
    row = queue.get(a.id)
    assert (row.state, row.attempts, row.worker, row.lease_until) == ("queued", 0, "w1", None)
    assert queue.claim("w2", LEASE).attempts == 1
