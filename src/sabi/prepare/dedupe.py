"""64-bit difference hashes: cheap near-duplicate detection between neighbouring frames."""

from __future__ import annotations

import numpy as np
from PIL import Image

_BIT_WEIGHTS = (1 << np.arange(64, dtype=np.uint64)).astype(np.uint64)


def dhash_bits(frame: np.ndarray) -> np.ndarray:
    """64 booleans: is each pixel of a 9x8 grey thumbnail brighter than its right neighbour."""
    grey = np.asarray(
        Image.fromarray(frame).convert("L").resize((9, 8), Image.Resampling.BOX), np.int16
    )
    return (grey[:, 1:] > grey[:, :-1]).ravel()


def dhash(frame: np.ndarray) -> int:
    return int((dhash_bits(frame).astype(np.uint64) * _BIT_WEIGHTS).sum())


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def is_black(frame: np.ndarray, level: int = 24) -> bool:
    """All-black (or nearly): fades and blank frames match every other dark frame."""
    small = frame[:: max(1, frame.shape[0] // 32), :: max(1, frame.shape[1] // 32)]
    return int(small.max()) < level
