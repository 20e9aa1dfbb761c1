"""Add episodes whose frame vectors were computed elsewhere, without decoding any video.

The same bookkeeping as the indexer (a row is 'indexing' before its vectors are stored and
'indexed' only after the store's ``add`` returned), so an interrupted import is finished or
undone by the next ``sabi index``/``sabi add-vectors`` like an interrupted index run. An
episode is known by its ``path``: adding it again replaces its frames.

Vector files are NPZ (numpy's zip of arrays, nothing executable in them):

- ``meta``: a JSON string ``{"format": "sabi-vectors", "version": 3, "descriptor": name,
  "dim": d, "episodes": [{"show", "episode", "filename", "path", "duration", "tag", "link",
  "rows", "cuts", "samples"}, ...]}``; only ``show`` and ``rows`` are required in an episode
  (version 2 added ``cuts``, the episode's shot changes in seconds; version 3 ``samples``, how
  many sampled-frame thumbnails it has; older files still read);
- ``vectors`` (rows x d, float16 or float32, unit length), ``starts`` and ``ends`` (seconds,
  float32): every episode's frames one after another, in the order of ``episodes``;
- ``sample_times`` (float32) and ``sample_thumbs`` (uint8, one 24x14 grey thumbnail a row),
  version 3: every episode's sampled-frame thumbnails (``sabi.prepare.thumbs``) the same way.

Both directions stream: the writer spools each array to a temporary file beside the output
(one episode in memory at a time) and then copies the spools into the zip; the reader maps the
zip's uncompressed members into memory and hands out one episode at a time.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sabi.catalog import Catalog
from sabi.errors import BadInput
from sabi.prepare.thumbs import SIZE
from sabi.store.base import VectorStore

FORMAT = "sabi-vectors"
VERSION = 3
READS = (1, 2, 3)  # versions this sabi reads: 2 added the optional ``cuts``, 3 ``samples``
THUMB_BYTES = SIZE[0] * SIZE[1]
COPY_CHUNK = 1 << 20


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
    cuts: list[float] | None = None  # shot changes (seconds), when known
    samples: list[tuple[float, bytes]] | None = None  # sampled-frame thumbnails, when known

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
        store.add(episode_id, item.vectors, item.starts, item.ends, show_id=show_id)
        if item.cuts:
            catalog.set_cuts(episode_id, item.cuts)
        if item.samples:
            catalog.set_samples(episode_id, item.samples)
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
    """Write episodes to an NPZ vector file (vectors in float16); returns the frame count.

    Memory holds one episode at a time: the arrays are spooled to temporary files in the
    output's folder (as much disk as the file itself), then copied into the zip (uncompressed,
    so a reader can map it), which is renamed into place only when complete."""
    episodes: list[dict[str, Any]] = []
    columns: dict[str, np.dtype[Any]] = {
        "vectors": np.dtype("<f2"),
        "starts": np.dtype("<f4"),
        "ends": np.dtype("<f4"),
        "sample_times": np.dtype("<f4"),
        "sample_thumbs": np.dtype("u1"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".sabi-vectors-") as tmp:
        spools = {name: (Path(tmp) / name).open("wb") for name in columns}
        try:
            for item in items:
                item.check(dim)
                entry: dict[str, Any] = {
                    "show": item.show,
                    "episode": item.episode,
                    "filename": item.filename,
                    "path": item.key(),
                    "duration": item.duration,
                    "tag": item.tag,
                    "link": item.link,
                    "rows": len(item.vectors),
                }
                if item.cuts is not None:
                    entry["cuts"] = [float(t) for t in item.cuts]
                thumbs = [(t, b) for t, b in item.samples or [] if len(b) == THUMB_BYTES]
                if item.samples is not None:
                    entry["samples"] = len(thumbs)
                episodes.append(entry)
                for name, data in (
                    ("vectors", item.vectors),
                    ("starts", item.starts),
                    ("ends", item.ends),
                    ("sample_times", np.array([t for t, _ in thumbs], np.float32)),
                    ("sample_thumbs", np.frombuffer(b"".join(b for _, b in thumbs), np.uint8)),
                ):
                    spools[name].write(np.ascontiguousarray(data, columns[name]).tobytes())
        finally:
            for fh in spools.values():
                fh.close()
        rows = sum(int(e["rows"]) for e in episodes)
        samples = sum(int(e.get("samples", 0)) for e in episodes)
        shapes = {
            "vectors": (rows, dim),
            "starts": (rows,),
            "ends": (rows,),
            "sample_times": (samples,),
            "sample_thumbs": (samples, THUMB_BYTES),
        }
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "descriptor": descriptor,
            "dim": dim,
            "episodes": episodes,
        }
        partial = Path(tmp) / "out.npz"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            with zf.open("meta.npy", "w") as out:
                np.lib.format.write_array(out, np.array(json.dumps(meta)), allow_pickle=False)
            for name, dtype in columns.items():
                header = {"descr": dtype.str, "fortran_order": False, "shape": shapes[name]}
                with zf.open(f"{name}.npy", "w", force_zip64=True) as out:
                    np.lib.format.write_array_header_2_0(out, header)
                    with (Path(tmp) / name).open("rb") as spool:
                        shutil.copyfileobj(spool, out, COPY_CHUNK)
        os.replace(partial, path)
    return rows


def _mapped(path: Path, zf: zipfile.ZipFile, name: str) -> np.ndarray:
    """A member array of an NPZ, memory-mapped when stored uncompressed (read whole if not)."""
    info = zf.getinfo(f"{name}.npy")
    with zf.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        header = fh.tell()
        if info.compress_type != zipfile.ZIP_STORED or fortran or dtype.hasobject:
            return np.asarray(np.load(path, allow_pickle=False)[name])
    with path.open("rb") as raw:  # the member's data starts after its local file header
        raw.seek(info.header_offset)
        local = raw.read(30)
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    offset = info.header_offset + 30 + name_len + extra_len + header
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)


@dataclass
class VectorFile:
    descriptor: str
    dim: int
    episodes: list[dict[str, Any]]
    path: Path

    @property
    def frames(self) -> int:
        return sum(int(e["rows"]) for e in self.episodes)

    @property
    def samples(self) -> int:
        return sum(int(e.get("samples", 0)) for e in self.episodes)

    def items(self) -> Iterator[EpisodeVectors]:
        """The episodes one at a time (the arrays are memory-mapped, not read whole)."""
        try:
            with zipfile.ZipFile(self.path) as zf:
                vectors = _mapped(self.path, zf, "vectors")
                starts, ends = _mapped(self.path, zf, "starts"), _mapped(self.path, zf, "ends")
                times, thumbs = _samples(self.path, zf, self.samples)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise BadInput(f"{self.path}: unreadable vector arrays ({exc})") from exc
        if len(vectors) != self.frames or len(starts) != self.frames or len(ends) != self.frames:
            raise BadInput(f"{self.path}: the arrays do not hold the rows the episodes list")
        at = sampled = 0
        for e in self.episodes:
            n, k = int(e["rows"]), int(e.get("samples", 0))
            cuts = e.get("cuts")
            samples = [(float(times[j]), thumbs[j].tobytes()) for j in range(sampled, sampled + k)]
            yield EpisodeVectors(
                show=str(e["show"]),
                vectors=np.asarray(vectors[at : at + n], np.float32),
                starts=np.array(starts[at : at + n], np.float32),
                ends=np.array(ends[at : at + n], np.float32),
                episode=None if e.get("episode") is None else float(e["episode"]),
                filename=str(e.get("filename") or ""),
                path=str(e.get("path") or ""),
                duration=None if e.get("duration") is None else float(e["duration"]),
                tag=e.get("tag"),
                link=e.get("link"),
                cuts=None if cuts is None else [float(t) for t in cuts],
                samples=samples if "samples" in e else None,
            )
            at, sampled = at + n, sampled + k


def _samples(path: Path, zf: zipfile.ZipFile, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The sampled-frame times and thumbnails of a version 3 file (none before it)."""
    if not count:
        return np.zeros(0, np.float32), np.zeros((0, THUMB_BYTES), np.uint8)
    times, thumbs = _mapped(path, zf, "sample_times"), _mapped(path, zf, "sample_thumbs")
    # rows of another thumbnail size read, and search leaves them aside (sabi.search.lookalike)
    if len(times) != count or thumbs.ndim != 2 or len(thumbs) != count:
        raise BadInput(f"{path}: the sample arrays do not hold the rows the episodes list")
    return times, thumbs


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
    if meta.get("version") not in READS:
        raise BadInput(f"{path}: vector file version {meta.get('version')} is not supported")
    try:
        episodes = list(meta["episodes"])
        for e in episodes:
            if not isinstance(e, dict) or not e.get("show") or int(e["rows"]) < 1:
                raise ValueError(f"bad episode entry {e!r}")
            if e.get("cuts") is not None and not isinstance(e["cuts"], list):
                raise ValueError(f"cuts must be a list of seconds in {e!r}")
            if int(e.get("samples", 0)) < 0:
                raise ValueError(f"samples must be a count in {e!r}")
        return VectorFile(str(meta["descriptor"]), int(meta["dim"]), episodes, path)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"{path}: malformed vector file header ({exc})") from exc
