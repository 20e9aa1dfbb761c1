"""Running the ``sabi`` command as a user does: a real subprocess, in a folder of the test's."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_sabi(*args: str, cwd: Path, input: bytes | None = None, **env: str) -> Ran:
    """``sabi ARGS`` in ``cwd``; ``env`` adds variables (SABI_* ones the caller did not set
    are removed, so the developer's own environment cannot change the outcome)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SABI_")}
    done = subprocess.run(
        [sys.executable, "-m", "sabi.cli", *args],
        cwd=cwd,
        capture_output=True,
        input=input,
        env={**clean, **env},
    )
    return Ran(done.returncode, done.stdout.decode(), done.stderr.decode())
