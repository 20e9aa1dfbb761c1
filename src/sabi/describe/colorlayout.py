"""MPEG-7 Colour Layout, the descriptor trace.moe indexes: no weights, very fast, weak to edits.

8x8 block means -> YCbCr -> 2-D DCT -> zig-zag -> 21 Y + 6 Cb + 6 Cr = 33 coefficients (LIRE's
choice, which trace.moe uses). To live in the same cosine-similarity store as the neural
descriptors, the coefficients are weighted like MPEG-7's distance (low frequencies count more),
centred, and L2-normalised. That drops the absolute brightness, which the grey/bright query
edits change anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from sabi.describe.base import l2_normalise


def _dct_matrix(n: int = 8) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m: np.ndarray = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2 / n)
    m[0] /= np.sqrt(2)
    return m


def _zigzag(n: int = 8) -> np.ndarray:
    order = sorted(
        ((i, j) for i in range(n) for j in range(n)),
        key=lambda p: (p[0] + p[1], p[0] if (p[0] + p[1]) % 2 else p[1]),
    )
    return np.array([i * n + j for i, j in order])


_DCT = _dct_matrix()
_ZIGZAG = _zigzag()
_NY, _NC = 21, 6
# MPEG-7's recommended weights (2,2,2,1,1,1 for Y; 2,1,1 for chroma), extended with 1s.
_WEIGHTS = np.concatenate(
    [
        [2, 2, 2, 1, 1, 1] + [1] * (_NY - 6),
        [2, 1, 1] + [1] * (_NC - 3),
        [4, 2, 2] + [1] * (_NC - 3),
    ]
).astype(np.float32)


class ColourLayout:
    name = "colorlayout"
    dim = _NY + 2 * _NC

    def embed(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(frames), self.dim), np.float32)
        for n, frame in enumerate(frames):
            out[n] = self._one(frame)
        return l2_normalise(out)

    def _one(self, frame: np.ndarray) -> np.ndarray:
        small = np.asarray(
            Image.fromarray(frame).resize((8, 8), Image.Resampling.BOX).convert("YCbCr"), np.float32
        )
        coeffs = []
        for channel, count in ((0, _NY), (1, _NC), (2, _NC)):
            block = small[:, :, channel] - 128.0
            dct = (_DCT @ block @ _DCT.T).ravel()[_ZIGZAG]
            coeffs.append(dct[:count])
        return np.concatenate(coeffs) * np.sqrt(_WEIGHTS) / 64.0
