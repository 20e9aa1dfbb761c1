"""Small grey thumbnails of every sampled frame, kept so a query can be matched pixel by pixel.

Deduplication keeps one vector for a run of near-identical frames (up to ``dedupe_max_span``),
and a copy-detection embedding is built to ignore small differences, so neither says which
sample of a slow pan a screenshot came from. A 24x14 grey thumbnail does, when the query is
framed like the video (its correlation with the right sample is higher than with the sample
half a second away), and a box of it does when the query is a crop (``sabi.search.cropfit``).
Every sample is kept, the dropped near-duplicates too, since those are the ones the vectors
cannot tell apart: 336 bytes each, about 395 in SQLite with its index; the benchmark corpus has
1.5 samples a stored vector, so about 590 bytes beside each vector's 512 (int8) in the embedded
store.

The size was chosen on the tuning split of the accuracy benchmark: 16x9 placed framed
screenshots as well, but crops worse (a crop's box is then 8-11 pixels wide); 32x18 placed both
as well as 24x14, in 70 % more room.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from PIL import Image

from sabi.prepare.decode import SampledFrame

SIZE = (24, 14)  # width, height: see the module docstring


def grey_thumbnail(rgb: np.ndarray, size: tuple[int, int] = SIZE) -> np.ndarray:
    """The frame's grey thumbnail (uint8, height x width), box-filtered."""
    image = Image.fromarray(np.ascontiguousarray(rgb)).convert("L")
    return np.asarray(image.resize(size, Image.Resampling.BOX), np.uint8)


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """Flattened thumbnails, one per row, made zero-mean and unit-norm, so that the dot
    product of two is their correlation. A flat picture becomes all zeros and correlates
    with nothing."""
    flat = np.asarray(rows, np.float32)
    flat = flat - flat.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(flat, axis=1, keepdims=True)
    out: np.ndarray = np.divide(flat, norms, out=np.zeros_like(flat), where=norms > 0)
    return out


def unit_thumbnail(rgb: np.ndarray, size: tuple[int, int] = SIZE) -> np.ndarray:
    """One frame's thumbnail as a zero-mean, unit-norm vector (see ``unit_rows``)."""
    row: np.ndarray = unit_rows(grey_thumbnail(rgb, size).reshape(1, -1))[0]
    return row


def both_ways(rgb: np.ndarray, size: tuple[int, int] = SIZE) -> np.ndarray:
    """The frame's thumbnail and its mirror image as two unit rows (see ``unit_rows``): a
    mirrored re-upload correlates with the stored thumbnail through the second."""
    grey = grey_thumbnail(rgb, size)
    return unit_rows(np.stack([grey.ravel(), grey[:, ::-1].ravel()]))


def record_thumbs(
    frames: Iterable[SampledFrame], into: list[tuple[float, bytes]]
) -> Iterator[SampledFrame]:
    """Pass ``frames`` on unchanged, appending each one's time and thumbnail to ``into``."""
    for frame in frames:
        into.append((frame.time, grey_thumbnail(frame.rgb).tobytes()))
        yield frame
