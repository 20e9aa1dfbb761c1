"""Add episodes whose frame vectors were computed elsewhere, without decoding any video.

The same bookkeeping as the indexer (a row is 'indexing' before its vectors are stored and
'indexed' only after the store's ``add`` returned), so an interrupted import is finished or
undone by the next ``sabi index``/``sabi add-vectors`` like an interrupted index run. An
episode is known by its ``path``: adding it again replaces its frames.

Vector files are NPZ (numpy's zip of arrays, nothing executable in them):

- ``meta``: a JSON string ``{"format": "sabi-vectors", "version": 1, "descriptor": name,
  "dim": d, "episodes": [{"show", "episode", "filename", "path", "duration", "tag", "link",
  "rows"}, ...]}``; only ``show`` and ``rows`` are required in an episode;
- ``vectors`` (rows x d, float16 or float32, unit length), ``starts`` and ``ends`` (seconds,
  float32): every episode's frames one after another, in the order of ``episodes``.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sabi.catalog import Catalog
from sabi.errors import BadInput
from sabi.store.base import VectorStore

FORMAT = "sabi-vectors"
VERSION = 1


@dataclass
class EpisodeVectors:
    """One episode's frames and what the catalogue should say about it."""

    show: str
    vectors: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    episode: float | None = None
    filename: str = ""
    path: str = ""  # identity; defaults to "vectors://<show>/<filename or episode>"
    duration: float | None = None
    tag: str | None = None
    link: str | None = None

    def key(self) -> str:
        return self.path or f"vectors://{self.show}/{self.filename or self.episode}"

    def display_name(self) -> str:
        if self.filename:
            return self.filename
        if self.episode is not None:
            return f"{self.show} - {self.episode:g}"
        return Path(self.key()).name

    def check(self, dim: int) -> None:
        n = len(self.vectors)
        if self.vectors.ndim != 2 or self.vectors.shape[1] != dim:
            raise BadInput(f"{self.key()}: vectors must be (n, {dim}), not {self.vectors.shape}")
        if len(self.starts) != n or len(self.ends) != n:
            raise BadInput(f"{self.key()}: starts and ends need one entry per vector")
        if n == 0:
            raise BadInput(f"{self.key()}: no vectors")
        if not np.all(np.isfinite(self.vectors)):
            raise BadInput(f"{self.key()}: vectors hold NaN or infinity")


def add_episodes(
    catalog: Catalog,
    store: VectorStore,
    descriptor: str,
    dim: int,
    items: Iterable[EpisodeVectors],
) -> list[int]:
    """Store each episode's vectors and catalogue it; returns the episode ids. The caller
    holds the data directory's write lock."""
    catalog.bind_descriptor(descriptor, dim)
    ids = []
    for item in items:
        item.check(dim)
        old = catalog.episode_by_path(item.key())
        if old is not None:
            store.delete(old.id)
            catalog.delete_episodes([old.id])
        show_id = catalog.ensure_show(item.show, item.tag)
        episode_id = catalog.begin_episode(
            show_id,
            item.key(),
            filename=item.display_name(),
            number=item.episode,
            size=0,
            mtime=0.0,
            fingerprint="",
            descriptor=descriptor,
            link=item.link,
        )
        store.add(episode_id, item.vectors, item.starts, item.ends)
        last = float(np.max(item.ends))
        catalog.update_episode(
            episode_id,
            status="indexed",
            duration=max(item.duration or 0.0, last),
            frames_sampled=len(item.vectors),
            frame_count=len(item.vectors),
        )
        ids.append(episode_id)
    return ids


# ----- files


def write_vector_file(
    path: Path, descriptor: str, dim: int, items: Iterable[EpisodeVectors]
) -> int:
    """Write episodes to an NPZ vector file (vectors in float16); returns the frame count."""
    episodes: list[dict[str, Any]] = []
    vectors, starts, ends = [], [], []
    for item in items:
        item.check(dim)
        episodes.append(
            {
                "show": item.show,
                "episode": item.episode,
                "filename": item.filename,
                "path": item.key(),
                "duration": item.duration,
                "tag": item.tag,
                "link": item.link,
                "rows": len(item.vectors),
            }
        )
        vectors.append(np.asarray(item.vectors, np.float16))
        starts.append(np.asarray(item.starts, np.float32))
        ends.append(np.asarray(item.ends, np.float32))
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "descriptor": descriptor,
        "dim": dim,
        "episodes": episodes,
    }
    with path.open("wb") as fh:
        np.savez(
            fh,
            meta=np.array(json.dumps(meta)),
            vectors=np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float16),
            starts=np.concatenate(starts) if starts else np.zeros(0, np.float32),
            ends=np.concatenate(ends) if ends else np.zeros(0, np.float32),
        )
    return sum(e["rows"] for e in episodes)


@dataclass
class VectorFile:
    descriptor: str
    dim: int
    episodes: list[dict[str, Any]]
    path: Path

    @property
    def frames(self) -> int:
        return sum(int(e["rows"]) for e in self.episodes)

    def items(self) -> Iterator[EpisodeVectors]:
        with np.load(self.path, allow_pickle=False) as z:
            vectors, starts, ends = z["vectors"], z["starts"], z["ends"]
        if len(vectors) != self.frames or len(starts) != self.frames or len(ends) != self.frames:
            raise BadInput(f"{self.path}: the arrays do not hold the rows the episodes list")
        at = 0
        for e in self.episodes:
            n = int(e["rows"])
            yield EpisodeVectors(
                show=str(e["show"]),
                vectors=np.asarray(vectors[at : at + n], np.float32),
                starts=starts[at : at + n],
                ends=ends[at : at + n],
                episode=None if e.get("episode") is None else float(e["episode"]),
                filename=str(e.get("filename") or ""),
                path=str(e.get("path") or ""),
                duration=None if e.get("duration") is None else float(e["duration"]),
                tag=e.get("tag"),
                link=e.get("link"),
            )
            at += n


def read_vector_file(path: Path) -> VectorFile:
    """Open a vector file and check its header; the arrays are read by ``items()``."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise BadInput(f"{path}: not a sabi vector file ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise BadInput(f"{path}: not a sabi vector file (no {FORMAT!r} header)")
    if meta.get("version") != VERSION:
        raise BadInput(f"{path}: vector file version {meta.get('version')} is not supported")
    try:
        episodes = list(meta["episodes"])
        for e in episodes:
            if not isinstance(e, dict) or not e.get("show") or int(e["rows"]) < 1:
                raise ValueError(f"bad episode entry {e!r}")
        return VectorFile(str(meta["descriptor"]), int(meta["dim"]), episodes, path)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"{path}: malformed vector file header ({exc})") from exc
