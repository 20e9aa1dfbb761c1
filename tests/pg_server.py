"""A throwaway PostgreSQL server for tests: initdb into a temp folder, listen on loopback."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a SQLAlchemy URL. PostgreSQL refuses to run as root, so as root it runs as the
    'postgres' user that Debian's package creates, in a folder of its own under /tmp (pytest's
    temporary folders are private to root)."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="sabi-pg-"))
    data = root / "pgdata"
    data.mkdir(parents=True)
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*cmd: str) -> None:
        done = subprocess.run([*prefix, *cmd], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{Path(cmd[0]).name} failed: {done.stderr.strip()[-500:]}")

    run(initdb, "-D", str(data), "-U", "sabi", "--auth=trust", "-E", "UTF8")
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off"
    run(pg_ctl, "-D", str(data), "-o", opts, "-l", str(data / "log"), "-w", "start")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                run(
                    _bin("createdb") or "createdb",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    "sabi",
                    "sabi",
                )
                break
            except RuntimeError:
                time.sleep(0.3)
        yield f"postgresql+psycopg://sabi@127.0.0.1:{port}/sabi"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )


def postgres_or_skip() -> Iterator[str]:
    """A fresh real PostgreSQL server's URL, for a fixture to yield from (skipped without one,
    unless CI says SABI_REQUIRE_POSTGRES=1)."""
    try:
        with postgres_server() as url:
            yield url
    except RuntimeError as exc:
        if os.environ.get("SABI_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unavailable: {exc}")
        pytest.skip(str(exc))
