"""Local files and folders: which files are videos, and whether a file changed since indexing."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sabi.errors import NotFound

VIDEO_SUFFIXES = frozenset(
    [
        ".mp4",
        ".mkv",
        ".webm",
        ".avi",
        ".flv",
        ".ts",
        ".m2ts",
        ".m4v",
        ".mov",
        ".wmv",
        ".mpg",
        ".mpeg",
        ".ogv",
        ".3gp",
        ".rmvb",
    ]
)
_EDGE = 1 << 20  # bytes hashed from each end of a file


@dataclass(frozen=True)
class FileState:
    path: Path
    size: int
    mtime: float

    @classmethod
    def of(cls, path: Path) -> FileState:
        st = path.stat()
        return cls(path, st.st_size, st.st_mtime)


def find_videos(targets: Iterable[Path]) -> Iterator[Path]:
    """Video files under each target (a file is taken as it is), sorted, recursively."""
    for target in targets:
        if target.is_file():
            yield target.resolve()
        elif target.is_dir():
            found = []
            for root, dirs, files in os.walk(target):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found += [
                    Path(root, f)
                    for f in files
                    if Path(f).suffix.lower() in VIDEO_SUFFIXES and not f.startswith(".")
                ]
            yield from (p.resolve() for p in sorted(found))
        else:
            raise NotFound(f"no such file or folder: {target}")


def fingerprint(path: Path) -> str:
    """Size plus a hash of the first and last MiB: cheap, and catches replaced content even
    when size and mtime are kept (a re-encode to the same size, a restored backup)."""
    size = path.stat().st_size
    h = hashlib.blake2b(digest_size=16)
    h.update(str(size).encode())
    with path.open("rb") as fh:
        h.update(fh.read(_EDGE))
        if size > 2 * _EDGE:
            fh.seek(-_EDGE, os.SEEK_END)
            h.update(fh.read(_EDGE))
    return h.hexdigest()
