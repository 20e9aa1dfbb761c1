"""The indexing stages: decode -> embed -> store, as generator functions over messages.

Messages for many files flow through one chain, so the decoder can start on the next file
while the last batches of the previous one are embedded and stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sabi.describe.base import Embedder
from sabi.errors import VideoError
from sabi.prepare.decode import VideoInfo, probe, probe_crop, sample_frames
from sabi.prepare.distinct import DistinctStats, KeptFrame, keep_distinct
from sabi.prepare.shots import detect_cuts
from sabi.prepare.thumbs import record_thumbs
from sabi.settings import Settings


@dataclass
class Job:
    """One file to index, with its catalogue row already created as 'indexing'."""

    episode_id: int
    path: Path
    label: str
    info: VideoInfo | None = None
    distinct: DistinctStats = field(default_factory=DistinctStats)
    cuts: list[float] = field(default_factory=list)  # shot changes (s), for preview clips
    samples: list[tuple[float, bytes]] = field(default_factory=list)  # (s, thumbnail) each


@dataclass
class Frames:
    job: Job
    starts: np.ndarray
    ends: np.ndarray
    rgb: list[np.ndarray]
    position: float


@dataclass
class Vectors:
    job: Job
    starts: np.ndarray
    ends: np.ndarray
    vectors: np.ndarray
    position: float


@dataclass
class Started:
    job: Job


@dataclass
class Finished:
    job: Job
    frames: int = 0
    error: str | None = None


#: What flows between the stages.
Message = Started | Frames | Vectors | Finished


@dataclass
class Timings:
    """Seconds spent per stage, summed over a run (threads overlap, so they can exceed wall)."""

    decode: float = 0.0
    embed: float = 0.0
    store: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {"decode+scale+dedupe": self.decode, "embed": self.embed, "store": self.store}


def decode_stage(
    settings: Settings, timings: Timings
) -> Callable[[Iterator[Job]], Iterator[Message]]:
    def stage(jobs: Iterator[Job]) -> Iterator[Message]:
        for job in jobs:
            yield Started(job)
            t0 = time.perf_counter()
            try:
                job.info = probe(job.path)
                crop = (
                    probe_crop(job.path, settings.resolution, settings.black_level)
                    if settings.cut_borders
                    else None
                )
                job.cuts, job.samples = [], []
                sampled = sample_frames(job.path, settings.rate, settings.resolution, crop)
                frames = keep_distinct(
                    detect_cuts(record_thumbs(sampled, job.samples), job.cuts),
                    distance=settings.dedupe_distance,
                    max_span=settings.dedupe_max_span,
                    black_level=settings.black_level,
                    stats=job.distinct,
                )
                batch: list[KeptFrame] = []
                for kept in frames:
                    batch.append(kept)
                    if len(batch) == settings.batch_size:
                        timings.decode += time.perf_counter() - t0
                        yield _frames(job, batch)
                        t0 = time.perf_counter()
                        batch = []
                if batch:
                    yield _frames(job, batch)
                timings.decode += time.perf_counter() - t0
                if job.distinct.sampled == 0:
                    raise VideoError("no decodable frames")
                yield Finished(job)
            except VideoError as exc:
                yield Finished(job, error=str(exc))

    return stage


def _frames(job: Job, batch: list[KeptFrame]) -> Frames:
    return Frames(
        job,
        np.array([k.start for k in batch], np.float32),
        np.array([k.end for k in batch], np.float32),
        [k.rgb for k in batch],
        batch[-1].end,
    )


def embed_stage(
    embedder: Embedder, timings: Timings
) -> Callable[[Iterator[Message]], Iterator[Message]]:
    def stage(items: Iterator[Message]) -> Iterator[Message]:
        for item in items:
            if isinstance(item, Frames):
                t0 = time.perf_counter()
                vectors = embedder.embed(item.rgb)
                timings.embed += time.perf_counter() - t0
                yield Vectors(item.job, item.starts, item.ends, vectors, item.position)
            else:
                yield item

    return stage
