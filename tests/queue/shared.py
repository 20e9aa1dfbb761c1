"""Helpers for the tests of several workers on PostgreSQL + the Milvus server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from pymilvus import MilvusClient

from sabi.catalog import Catalog
from sabi.catalog.models import Episode


def shared_env(tmp_path: Path, pg_url: str, milvus_uri: str, **more: str) -> dict[str, str]:
    """SABI_* settings for workers sharing one catalogue and one Milvus collection."""
    return {
        "SABI_DATA_DIR": str(tmp_path / "data"),
        "SABI_DATABASE_URL": pg_url,
        "SABI_STORE": "milvus",
        "SABI_MILVUS_URI": milvus_uri,
        "SABI_MILVUS_COLLECTION": f"queue_{uuid.uuid4().hex[:12]}",
        "SABI_DESCRIPTOR": "colorlayout",
        "SABI_LEASE_SECONDS": "3",
        "SABI_WORKER_POLL": "0.3",
        **more,
    }


def start_sabi(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """``sabi ARGS`` started, not waited for (the developer's SABI_* variables removed)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SABI_")}
    return subprocess.Popen(
        [sys.executable, "-m", "sabi.cli", *args],
        cwd=cwd,
        env={**clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def episodes(pg_url: str) -> dict[str, Episode]:
    """The catalogue's episodes by path."""
    catalog = Catalog(pg_url)
    try:
        with catalog.session() as s:
            return {e.path: e for e in s.query(Episode)}
    finally:
        catalog.close()


def stored_per_episode(env: dict[str, str]) -> dict[int, int]:
    """Vectors in the collection, counted per episode id (a Strong read)."""
    client = MilvusClient(uri=env["SABI_MILVUS_URI"])
    try:
        rows = client.query(
            env["SABI_MILVUS_COLLECTION"],
            filter="episode_id >= 0",
            output_fields=["episode_id"],
            consistency_level="Strong",
            limit=16_384,
        )
    finally:
        client.close()
    counts: dict[int, int] = {}
    for row in rows:
        counts[int(row["episode_id"])] = counts.get(int(row["episode_id"]), 0) + 1
    return counts
