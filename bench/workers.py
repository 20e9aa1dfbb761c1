"""Indexing throughput of 1, 2 and 4 `sabi worker` processes on one queue.

The shared stores are real servers on loopback (PostgreSQL for the catalogue and the queue, the
Milvus standalone server for vectors), started by the test suite's launchers. For each worker
count: a fresh database and collection, the same batch of videos enqueued, then that many
``sabi worker --once`` processes started together; the wall time runs from their start until the
last one exits (so each process's start-up, model load included, is in it).

    python -m bench workers            # writes bench/results/workers.{json,md}
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, BenchPaths, RunInfo, say
from bench.markdown import publish
from bench.video import Encoder, decoded
from bench.workers_report import render

SIZE = (640, 360)
FPS = 24
CLIPS = (
    "big_buck_bunny_0_30.webm",
    "big_buck_bunny_clip.mp4",
    "bikes.mp4",
    "big_buck_bunny_432_433.webm",
)


def make_batch(paths: BenchPaths, count: int, seconds: float) -> Path:
    """``count`` videos of ``seconds`` at 640x360, each the shared clips looped from its own
    offset (so no two are alike), built once into bench/work/workers/."""
    folder = paths.work / "workers" / f"batch-{count}x{int(seconds)}s"
    done = folder / ".complete"
    if done.is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    frames = [f for clip in CLIPS for _, f in decoded(paths.media / clip)]
    say(f"workers: encoding {count} x {seconds:g} s from {len(frames)} source frames (once)")
    for i in range(count):
        enc = Encoder(folder / f"Batch - {i + 1:02d}.mp4", SIZE, FPS, crf=21)
        at = i * len(frames) // count
        while enc.frames < seconds * FPS:
            enc.add(frames[at % len(frames)])
            at += 1
        enc.close()
    done.write_text("")
    return folder


def _servers(work: Path) -> tuple[Any, Any, str]:
    """(PostgreSQL context, Milvus server, Milvus URI): the test suite's launchers."""
    sys.path.insert(0, str(ROOT / "tests"))
    from milvus_server import MilvusServer, milvus_home  # type: ignore[import-not-found]
    from pg_server import postgres_server  # type: ignore[import-not-found]

    milvus = MilvusServer(milvus_home(), work / "milvus")
    milvus.start()
    return postgres_server(), milvus, milvus.uri


def _database(base_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return base_url.rsplit("/", 1)[0] + f"/{name}"


def _sabi(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SABI_")}
    return subprocess.Popen(
        [sys.executable, "-m", "sabi.cli", *args],
        env={**clean, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run_workers(n: int, batch: Path, env: dict[str, str]) -> dict[str, Any]:
    """Enqueue the batch, run ``n`` workers until it is drained; their wall and CPU time."""
    enq = _sabi("enqueue", str(batch), env=env)
    if enq.wait() != 0:
        raise RuntimeError(
            f"sabi enqueue failed: {enq.stderr.read().decode() if enq.stderr else ''}"
        )
    t0 = time.perf_counter()
    procs = [_sabi("worker", "--once", env=env) for _ in range(n)]
    cpu, ends = 0.0, []
    for p in procs:
        _, status, usage = os.wait4(p.pid, 0)
        ends.append(time.perf_counter() - t0)
        p.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
        if p.returncode != 0:
            raise RuntimeError(f"a worker failed: {p.stderr.read().decode() if p.stderr else ''}")
    return {"workers": n, "wall": max(ends), "cpu_seconds": cpu, **_outcome(env)}


def _outcome(env: dict[str, str]) -> dict[str, Any]:
    """What the run left: jobs per worker, episodes, frames, stored vectors."""
    from sabi.app import Sabi
    from sabi.pipeline.queue import JobQueue

    with Sabi.open(
        data_dir=env["SABI_DATA_DIR"],
        database_url=env["SABI_DATABASE_URL"],
        store="milvus",
        milvus_uri=env["SABI_MILVUS_URI"],
        milvus_collection=env["SABI_MILVUS_COLLECTION"],
    ) as sabi:
        jobs = JobQueue(sabi.catalog).jobs()
        stats = sabi.stats()
        per_worker: dict[str, int] = {}
        for j in jobs:
            per_worker[j.worker or "?"] = per_worker.get(j.worker or "?", 0) + 1
        return {
            "jobs": len(jobs),
            "done": sum(j.state == "done" for j in jobs),
            "attempts": sum(j.attempts for j in jobs),
            "jobs_per_worker": sorted(per_worker.values(), reverse=True),
            "episodes": stats.episodes,
            "video_seconds": stats.hours * 3600,
            "frames": stats.frames,
            "stored_vectors": stats.stored_vectors,
        }


def bench_workers(
    paths: BenchPaths, counts: tuple[int, ...] = (1, 2, 4), videos: int = 8, seconds: float = 30
) -> Path:
    info = RunInfo()
    batch = make_batch(paths, videos, seconds)
    work = paths.work / "workers" / f"run-{int(time.time())}"
    pg, milvus, milvus_uri = _servers(work)
    runs = []
    try:
        with pg as base_url:
            for n in counts:
                env = {
                    "SABI_DATA_DIR": str(work / f"data-{n}"),
                    "SABI_DATABASE_URL": _database(base_url, f"workers_{n}"),
                    "SABI_STORE": "milvus",
                    "SABI_MILVUS_URI": milvus_uri,
                    "SABI_MILVUS_COLLECTION": f"workers_{n}",
                    "SABI_WORKER_POLL": "0.5",
                }
                say(f"workers: {n} worker(s) on {videos} x {seconds:g} s")
                runs.append(run_workers(n, batch, env))
                say(f"workers: {n}: {runs[-1]['wall']:.1f} s")
    finally:
        milvus.kill()
    data = {
        "run": info.facts(),
        "batch": {"videos": videos, "seconds": seconds, "size": list(SIZE), "fps": FPS},
        "runs": runs,
    }
    return publish(paths.results, "workers", data, render)
