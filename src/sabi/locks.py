"""Advisory file locks that keep two processes from doing the same job on one data directory."""

from __future__ import annotations

import fcntl
from pathlib import Path

from sabi.errors import IndexBusy


class DirLock:
    """An exclusive, non-blocking flock on ``<data_dir>/<name>``; released on exit or crash."""

    def __init__(self, data_dir: Path, name: str = ".write.lock", what: str = "sabi process"):
        data_dir.mkdir(parents=True, exist_ok=True)
        self._fh = (data_dir / name).open("w")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._fh.close()
            raise IndexBusy(f"another {what} is writing to {data_dir}") from exc

    def release(self) -> None:
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()

    def __enter__(self) -> DirLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def write_lock(data_dir: Path) -> DirLock:
    """One writer (indexing, removal) per data directory; readers need no lock."""
    return DirLock(data_dir)
