"""Immutable per-episode segment files: the durable truth the FAISS index is rebuilt from.

A segment is one .npy file of records (start, end: float32 seconds; vec: float16 vector),
written to a temporary name, fsynced and renamed into place, so a crash leaves either the whole
segment or none. Half precision halves the disk a frame takes and costs nothing measurable in
similarity (unit vectors' components are small; float16 keeps ~3 significant digits).
Names carry a random generation so a re-indexed episode never reuses a stale cached row.
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
    return np.dtype([("start", "<f4"), ("end", "<f4"), ("vec", "<f2", (dim,))])


def write_segment(
    root: Path, episode_id: int, vectors: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> str:
    data = np.empty(len(vectors), segment_dtype(vectors.shape[1]))
    data["start"] = starts
    data["end"] = ends
    data["vec"] = vectors
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
    """(vectors, starts, ends). Memory-mapped: only the touched pages are read."""
    data = np.load(root / name, mmap_mode="r")
    if data.dtype.names is None:  # the first layout: float32 columns [start, end, vector...]
        return data[:, 2:], data[:, 0], data[:, 1]
    return data["vec"], data["start"], data["end"]


def remove_segments(root: Path, episode_id: int, keep: str | None = None) -> None:
    for name, ep in list_segments(root).items():
        if ep == episode_id and name != keep:
            (root / name).unlink(missing_ok=True)
    fsync_dir(root)


def clean_temporaries(root: Path) -> None:
    """Half-written segments from a killed process."""
    for entry in os.scandir(root):
        if entry.name.startswith(".") and entry.name.endswith(".tmp"):
            os.unlink(entry.path)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
