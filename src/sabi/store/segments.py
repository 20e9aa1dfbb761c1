"""Immutable per-episode segment files: the one durable copy of every frame vector.

A segment is one .npy file of records (start, end: float32 seconds; vec: int8 codes, see
codec.py), written to a temporary name, fsynced and renamed into place, so a crash leaves
either the whole segment or none. Everything else the store keeps is derived from segments and
can be rebuilt from them. Names carry a random generation so a re-indexed episode never reuses a
stale cached row. Segments of earlier layouts (float16 records, float32 columns) still load.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import numpy as np

_NAME = re.compile(r"^ep(\d+)-([0-9a-f]{8})\.npy$")


def segment_episode(name: str) -> int | None:
    m = _NAME.match(name)
    return int(m.group(1)) if m else None


def list_segments(root: Path) -> dict[str, int]:
    """Segment file name -> episode id, for complete segments only."""
    out = {}
    for entry in os.scandir(root):
        ep = segment_episode(entry.name)
        if ep is not None:
            out[entry.name] = ep
    return out


def segment_dtype(dim: int) -> np.dtype:
    return np.dtype([("start", "<f4"), ("end", "<f4"), ("vec", "i1", (dim,))])


def write_segment(
    root: Path, episode_id: int, codes: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> str:
    """Write one episode's int8 codes and times durably; returns the segment's name."""
    data = np.empty(len(codes), segment_dtype(codes.shape[1]))
    data["start"] = starts
    data["end"] = ends
    data["vec"] = codes
    name = f"ep{episode_id}-{secrets.token_hex(4)}.npy"
    tmp = root / f".{name}.tmp"
    with tmp.open("wb") as fh:
        np.save(fh, data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / name)
    fsync_dir(root)
    return name


def read_segment(root: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(codes or float vectors of older layouts, starts, ends). Memory-mapped: only the
    touched pages are read."""
    data = np.load(root / name, mmap_mode="r")
    if data.dtype.names is None:  # the first layout: float32 columns [start, end, vector...]
        return data[:, 2:], data[:, 0], data[:, 1]
    return data["vec"], data["start"], data["end"]


def segment_rows(root: Path, name: str) -> int | None:
    """Rows of a segment from its header alone (None: it is gone)."""
    try:
        return int(np.load(root / name, mmap_mode="r").shape[0])
    except FileNotFoundError:
        return None


def remove_segments(root: Path, episode_id: int, keep: str | None = None) -> None:
    for name, ep in list_segments(root).items():
        if ep == episode_id and name != keep:
            (root / name).unlink(missing_ok=True)
    fsync_dir(root)


def clean_temporaries(root: Path) -> None:
    """Half-written files of a killed writer. Only a process holding the data directory's
    write lock may call this: another writer's temporary file is live."""
    for entry in os.scandir(root):
        if entry.name.startswith(".") and entry.name.endswith(".tmp"):
            os.unlink(entry.path)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
