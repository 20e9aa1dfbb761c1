"""``kill -9`` a ``sabi index`` process at seeded random moments, restart it, and compare the
data directory it ends with against a clean run's.

The end state is read from both sides of the layer contract: the catalogue (each episode's
path, status and frame count) and the store (vectors per episode from its segment files,
segments per episode, the total count, the episode ids it holds). A run that survived its
kills must equal the clean run: same episodes, all indexed, same frames each, as many vectors
as the catalogue counts, one segment per episode, no vectors without an indexed episode and no
indexed episode without vectors."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sabi.app import Sabi
from sabi.catalog.models import Episode
from sabi.store.segments import list_segments, segment_rows


def index_command(folder: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "sabi.cli", "index", str(folder), "-q", "--data-dir", str(data)]


def run_index(folder: Path, data: Path, env: dict[str, str] | None = None) -> float:
    """One uninterrupted ``sabi index`` run; its wall time (it must succeed)."""
    t0 = time.perf_counter()
    done = subprocess.run(
        index_command(folder, data), env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"sabi index failed ({done.returncode}): {done.stderr[-2000:]}")
    return time.perf_counter() - t0


def status_counts(data: Path) -> dict[str, int]:
    """Episode rows by status, read straight from SQLite (the writer may be mid-transaction)."""
    db = data / "sabi.db"
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return dict(Counter(s for (s,) in conn.execute("select status from episodes")))
    except sqlite3.Error:
        return {}


def unfinished(data: Path) -> list[str]:
    """File names of the episodes left marked 'indexing' (what a restart must redo)."""
    db = data / "sabi.db"
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            rows = conn.execute("select filename from episodes where status = 'indexing'")
            return sorted(name for (name,) in rows)
    except sqlite3.Error:
        return []


def _segment_names(data: Path) -> dict[str, int]:
    folder = data / "faiss" / "segments"
    return list_segments(folder) if folder.exists() else {}


@dataclass
class KillRound:
    """One restart: the delay drawn, whether the run was killed or finished first, and what
    the data directory held right after (episodes by status, complete segment files)."""

    delay_s: float
    killed: bool
    returncode: int
    statuses: dict[str, int]
    segments: int
    unfinished: list[str]
    removed: int = 0  # episodes removed after a run that finished, to leave work to kill


def end_state(data: Path) -> dict[str, Any]:
    """What a data directory holds, by episode path, as plain JSON-able values."""
    seg_dir = data / "faiss" / "segments"
    with Sabi.open(data_dir=data, create=False) as sabi:
        with sabi.catalog.session() as s:
            rows = s.execute(select(Episode.id, Episode.path, Episode.status, Episode.frame_count))
            episodes = {r.id: (r.path, r.status, r.frame_count) for r in rows}
        store_ids = sorted(sabi.store.episode_ids())
        indexed_ids = sorted(sabi.catalog.indexed_ids())
        store_count = sabi.store.count()
        catalog_frames = sabi.catalog.stats().frames
    segments = _segment_names(data)
    per_episode: dict[str, dict[str, Any]] = {}
    for ep_id, (path, status, frames) in episodes.items():
        names = [n for n, e in segments.items() if e == ep_id]
        per_episode[path] = {
            "status": status,
            "frames": frames,
            "segments": len(names),
            "vectors": sum(segment_rows(seg_dir, n) or 0 for n in names),
        }
    return {
        "episodes": dict(sorted(per_episode.items())),
        "store_count": store_count,
        "catalog_frames": catalog_frames,
        "orphan_ids": sorted(set(store_ids) - set(indexed_ids)),
        "missing_ids": sorted(set(indexed_ids) - set(store_ids)),
        "segments_of_unknown_episodes": sorted(n for n, e in segments.items() if e not in episodes),
        "temporary_files": sorted(p.name for p in seg_dir.glob(".*.tmp"))
        if seg_dir.exists()
        else [],
    }


def differences(clean: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Every way ``got`` falls short of the clean run's end state (empty: it holds)."""
    out = []
    if set(got["episodes"]) != set(clean["episodes"]):
        out.append(f"episodes differ: {sorted(got['episodes'])} vs {sorted(clean['episodes'])}")
    for path, want in clean["episodes"].items():
        have = got["episodes"].get(path)
        if have is not None and have != want:
            out.append(f"{Path(path).name}: {have} vs clean {want}")
    for path, have in got["episodes"].items():
        if have["status"] != "indexed":
            out.append(f"{Path(path).name} is {have['status']}")
    if got["store_count"] != got["catalog_frames"]:
        out.append(f"store holds {got['store_count']} vectors, catalogue {got['catalog_frames']}")
    if got["store_count"] != clean["store_count"]:
        out.append(f"store holds {got['store_count']} vectors, clean run {clean['store_count']}")
    for key in ("orphan_ids", "missing_ids", "segments_of_unknown_episodes"):
        if got[key]:
            out.append(f"{key}: {got[key]}")
    return out


def kill_rounds(
    folder: Path,
    data: Path,
    *,
    kills: int,
    seed: int,
    clean_seconds: float,
    env: dict[str, str] | None = None,
) -> list[KillRound]:
    """Start ``sabi index`` again and again, each time ``kill -9`` after a delay drawn
    uniformly from (0.05, 1) x the clean run's wall time, until ``kills`` runs were killed.

    A run that ends before its delay must have succeeded; then a seeded random half of the
    episodes is removed (through ``Sabi.remove``, as ``sabi remove`` does) so the next run has
    work to be killed in. At most ``4 x kills`` rounds."""
    rng = random.Random(seed)
    rounds: list[KillRound] = []
    while sum(r.killed for r in rounds) < kills and len(rounds) < 4 * kills:
        delay = rng.uniform(0.05, 1.0) * clean_seconds
        proc = subprocess.Popen(
            index_command(folder, data),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _, err = proc.communicate(timeout=delay)
            killed = False
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
            killed = proc.returncode == -signal.SIGKILL
        if not killed and proc.returncode != 0:
            raise RuntimeError(f"sabi index failed ({proc.returncode}): {err.decode()[-2000:]}")
        r = KillRound(
            round(delay, 3),
            killed,
            proc.returncode,
            status_counts(data),
            len(_segment_names(data)),
            unfinished(data),
        )
        if not killed:
            r.removed = _remove_half(data, rng)
        rounds.append(r)
    return rounds


def _remove_half(data: Path, rng: random.Random) -> int:
    with Sabi.open(data_dir=data, create=False) as sabi:
        ids = sorted(sabi.catalog.indexed_ids())
        chosen = rng.sample(ids, max(1, len(ids) // 2)) if ids else []
        for ep_id in chosen:
            sabi.remove(episode_id=ep_id)
    return len(chosen)


def rounds_json(rounds: list[KillRound]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rounds]
