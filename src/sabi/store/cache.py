"""The derived part of the embedded store on disk: which segments, in which row order, and the
trained fast-scan PQ holding their codes (about 64 bytes a frame).

Only the writer saves it (at the end of a run and after retraining), and always as new files
renamed into place: ``pq-<token>.faiss`` first, then ``cache.json`` naming it. A reader that
finds the PQ file already replaced reads ``cache.json`` again; a cache that does not match the
segments is only a slower start, never a wrong answer, because rows are matched by segment name.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import faiss

log = logging.getLogger(__name__)

VERSION = 2


@dataclass
class Manifest:
    token: str = ""
    generation: str = ""  # changes when the PQ is retrained; readers reload on a change
    trained_rows: int = 0  # rows the PQ was trained on (the library's size then)
    code_size: int = 0  # PQ bytes per frame
    segments: list[tuple[str, int]] = field(default_factory=list)  # (name, rows), row order

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.segments)


def read_manifest(root: Path) -> Manifest | None:
    try:
        raw = json.loads((root / "cache.json").read_text())
        if raw.get("version") != VERSION:
            return None
        return Manifest(
            token=str(raw["token"]),
            generation=str(raw["generation"]),
            trained_rows=int(raw["trained_rows"]),
            code_size=int(raw.get("code_size", 0)),
            segments=[(str(n), int(c)) for n, c in raw["segments"]],
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("index cache manifest unreadable (%s); rebuilding from segments", exc)
        return None


def read_pq(root: Path, manifest: Manifest) -> faiss.IndexPQ | None:
    path = root / f"pq-{manifest.token}.faiss"
    try:
        pq = faiss.read_index(str(path))
    except RuntimeError as exc:  # replaced by the writer meanwhile, or damaged
        log.info("index cache %s unreadable (%s)", path.name, exc)
        return None
    if not isinstance(pq, faiss.IndexPQ):  # read_index gives the subclass stored
        log.warning("index cache %s holds a %s, not a PQ", path.name, type(pq).__name__)
        return None
    if pq.ntotal != manifest.rows:
        log.warning("index cache %s holds %d rows, not %d", path.name, pq.ntotal, manifest.rows)
        return None
    return pq


def write_cache(root: Path, manifest: Manifest, pq: faiss.IndexPQ | None) -> Manifest:
    """Publish a new cache; returns the manifest as written (with its new token)."""
    token = secrets.token_hex(4)
    if pq is not None:
        tmp = root / f".pq-{token}.faiss.tmp"
        faiss.write_index(pq, str(tmp))
        _fsync(tmp)
        os.replace(tmp, root / f"pq-{token}.faiss")
    written = Manifest(
        token=token if pq is not None else "",
        generation=manifest.generation,
        trained_rows=manifest.trained_rows if pq is not None else 0,
        code_size=pq.code_size if pq is not None else 0,
        segments=list(manifest.segments),
    )
    body = {
        "version": VERSION,
        "token": written.token,
        "generation": written.generation,
        "trained_rows": written.trained_rows,
        "code_size": written.code_size,
        "segments": written.segments,
    }
    tmp_json = root / f".cache-{token}.json.tmp"
    tmp_json.write_text(json.dumps(body))
    _fsync(tmp_json)
    os.replace(tmp_json, root / "cache.json")
    for old in root.glob("pq-*.faiss"):
        if old.name != f"pq-{written.token}.faiss":
            old.unlink(missing_ok=True)
    for old in (*root.glob("cache-*.faiss"), root / "cache.npz"):  # the HNSW-era cache
        old.unlink(missing_ok=True)
    return written


def _fsync(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())
