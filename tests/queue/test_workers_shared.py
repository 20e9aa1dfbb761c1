"""Two `sabi worker --once` processes drain one queue on PostgreSQL + the Milvus server: every
episode is indexed exactly once and the store holds exactly its frames."""

from __future__ import annotations

import json

import pytest
from cli.clirun import run_sabi
from shared import episodes, shared_env, start_sabi, stored_per_episode

from sabi.catalog import Catalog
from sabi.pipeline.queue import JobQueue

pytestmark = pytest.mark.milvus_server


def test_two_workers_index_each_episode_once(tmp_path, pg_url, milvus_server_uri, short_videos):
    env = shared_env(tmp_path, pg_url, milvus_server_uri)
    r = run_sabi("enqueue", str(short_videos[0].parent), "--tag", "q", cwd=tmp_path, **env)
    assert r.returncode == 0, r.stderr
    assert "queued 4 new" in r.stdout

    workers = [start_sabi("worker", "--once", cwd=tmp_path, env=env) for _ in range(2)]
    outputs = [w.communicate(timeout=300) for w in workers]
    for w, (_, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
    lines = [ln for _, err in outputs for ln in err.splitlines() if "] " in ln]
    assert sorted(ln.split("]")[0] for ln in lines if ": indexed " in ln) == [
        f"[job {i}" for i in range(1, 5)
    ]

    catalog = Catalog(pg_url)
    try:
        jobs = JobQueue(catalog).jobs()
    finally:
        catalog.close()
    assert [(j.state, j.attempts) for j in jobs] == [("done", 1)] * 4
    eps = episodes(pg_url)
    assert sorted(eps) == sorted(map(str, short_videos))
    assert {e.status for e in eps.values()} == {"indexed"}
    assert {j.episode_id for j in jobs} == {e.id for e in eps.values()}
    stored = stored_per_episode(env)
    assert stored == {e.id: e.frame_count for e in eps.values()}
    assert all(n > 0 for n in stored.values())

    status = json.loads(run_sabi("status", "--json", cwd=tmp_path, **env).stdout)
    assert status == {
        "counts": {"queued": 0, "running": 0, "done": 4, "failed": 0},
        "running": [],
        "failed": [],
    }
