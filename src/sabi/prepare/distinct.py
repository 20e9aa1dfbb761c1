"""Keep one frame per run of near-identical neighbours, remembering the run's time span.

The span matters for answers: a screenshot from the middle of a still shot matches the run's
first frame, and the span tells the searcher the moment may be anywhere up to its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from sabi.prepare.decode import SampledFrame
from sabi.prepare.dedupe import dhash, hamming, is_black


@dataclass
class KeptFrame:
    start: float
    end: float
    rgb: np.ndarray


@dataclass
class DistinctStats:
    sampled: int = 0
    black: int = 0
    kept: int = 0


def keep_distinct(
    frames: Iterable[SampledFrame],
    *,
    distance: int,
    max_span: float,
    black_level: int,
    stats: DistinctStats | None = None,
) -> Iterator[KeptFrame]:
    """Drop all-black frames and frames within ``distance`` dHash bits of the last kept one."""
    stats = stats if stats is not None else DistinctStats()
    current: KeptFrame | None = None
    current_hash = 0
    for frame in frames:
        stats.sampled += 1
        if is_black(frame.rgb, black_level):
            stats.black += 1
            if current is not None:
                yield current
                current = None
            continue
        h = dhash(frame.rgb)
        if (
            current is not None
            and distance > 0
            and hamming(h, current_hash) <= distance
            and frame.time - current.start < max_span
        ):
            current.end = frame.time
            continue
        if current is not None:
            yield current
        stats.kept += 1
        current, current_hash = KeptFrame(frame.time, frame.time, frame.rgb), h
    if current is not None:
        yield current
