"""No network the user did not ask for: ONNX Runtime's usage telemetry stays off."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

EMBED = (
    "import numpy as np; from sabi.settings import load_settings; "
    "from sabi.describe import make_embedder; "
    "make_embedder(load_settings()).embed([np.zeros((64, 64, 3), np.uint8)])"
)


def _events(home: Path, **env: str) -> int:
    # ONNX Runtime also stays quiet when CI is set: drop both so the library decides alone.
    base = {k: v for k, v in os.environ.items() if k not in ("ORT_DISABLE_TELEMETRY", "CI")}
    subprocess.run(
        [sys.executable, "-c", EMBED], check=True, env={**base, "HOME": str(home), **env}
    )
    db = home / ".cache" / "Microsoft" / "DeveloperTools" / ".onnxruntime" / "onnxruntime.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        return (
            conn.execute("select count(*) from events").fetchone()[0] if "events" in tables else 0
        )


def test_embedding_records_no_telemetry_events(tmp_path):
    assert _events(tmp_path / "off") == 0
    # The same run with telemetry allowed does record events: the check above can fail.
    assert _events(tmp_path / "on", ORT_DISABLE_TELEMETRY="0") > 0
