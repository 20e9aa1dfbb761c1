"""A worker is killed (SIGKILL, as `kill -9`) in the middle of an episode on PostgreSQL + the
Milvus server: its lease runs out, another worker takes the job and finishes it, and the
episode's vectors are its own frames once, whatever the dead worker had stored."""

from __future__ import annotations

import json
import shutil
import signal

import pytest
from cli.clirun import run_sabi
from shared import episodes, shared_env, stored_per_episode

from sabi.pipeline.worker import STOP_AT_ENV

pytestmark = pytest.mark.milvus_server


@pytest.mark.parametrize("point", ["worker-advance", "worker-added"])
def test_a_killed_workers_job_is_finished_by_another(
    point, tmp_path, pg_url, milvus_server_uri, short_videos
):
    video = tmp_path / "Killed" / f"Killed - {point}.mp4"
    video.parent.mkdir()
    shutil.copy(short_videos[1], video)
    env = shared_env(tmp_path, pg_url, milvus_server_uri)
    assert run_sabi("enqueue", str(video), cwd=tmp_path, **env).returncode == 0

    dead = run_sabi("worker", "--once", cwd=tmp_path, **env, **{STOP_AT_ENV: point})
    assert dead.returncode == -signal.SIGKILL, dead.stderr
    status = json.loads(run_sabi("status", "--json", cwd=tmp_path, **env).stdout)
    (running,) = status["running"]
    assert running["path"] == str(video) and running["attempts"] == 1
    episode_id = episodes(pg_url)[str(video)].id
    before = stored_per_episode(env).get(episode_id, 0)
    # Killed before its vectors were stored, or after they were but before they counted.
    assert (before > 0) == (point == "worker-added")

    other = run_sabi("worker", "--once", cwd=tmp_path, **env)  # waits the lease out
    assert other.returncode == 0, other.stderr
    status = json.loads(run_sabi("status", "--json", cwd=tmp_path, **env).stdout)
    assert status["running"] == [] and status["counts"]["failed"] == 0
    episode = episodes(pg_url)[str(video)]
    assert episode.status == "indexed" and episode.id == episode_id
    stored = stored_per_episode(env)
    assert stored == {episode_id: episode.frame_count}
    if before:
        assert before == episode.frame_count  # the same frames, stored once, not twice
