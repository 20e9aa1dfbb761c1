"""The 64-bit dHash as a descriptor: the weakest baseline, useful in benchmarks.

Bits become +-1/8, so the inner product of two vectors is 1 - 2 * hamming / 64.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sabi.prepare.dedupe import dhash_bits


class DHashDescriptor:
    name = "dhash"
    dim = 64

    def embed(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(frames), 64), np.float32)
        for n, frame in enumerate(frames):
            out[n] = np.where(dhash_bits(frame), 0.125, -0.125)
        return out
