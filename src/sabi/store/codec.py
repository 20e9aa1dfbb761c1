"""Eight-bit frame vectors: the one copy of every vector that the embedded store keeps.

A unit vector is stored as ``round(x * scale)`` in int8, with one scale per store. That is a
quarter of float32 and half of float16 on disk and in memory, and FAISS reads the very same bytes
as codes (its uniform 8-bit quantiser with the range set so that code ``c`` decodes to
``(c - 128) / scale``), so the index needs no second copy and scores come out as similarities.
(FAISS 1.15's "direct" 8-bit quantisers compute wrong inner products above 8 dimensions, which
is why they are not used; tests/store/test_codec.py checks the uniform one.)

The scale is set from the dimension, not from data, so that it never depends on which episode
came first: descriptor components of a unit vector spread like ``1/sqrt(dim)``, and
``CLIP_SIGMAS`` of that maps to 127. The rare component beyond it is clipped, which moves a
similarity by less than the rounding does (bench/results/store.md measures recall against
float32 exact search).
"""

from __future__ import annotations

import math

import numpy as np

CLIP_SIGMAS = 5.0


def default_scale(dim: int) -> float:
    """127 at ``CLIP_SIGMAS / sqrt(dim)``, never coarser than 127 per unit (tiny dims)."""
    bound = min(1.0, CLIP_SIGMAS / math.sqrt(dim))
    return 127.0 / bound


def encode(vectors: np.ndarray, scale: float) -> np.ndarray:
    """float vectors -> int8 codes."""
    x = np.asarray(vectors, dtype=np.float32) * np.float32(scale)
    return np.clip(np.rint(x), -127, 127).astype(np.int8)


def decode(codes: np.ndarray, scale: float) -> np.ndarray:
    """int8 codes (or float rows of older segment layouts) -> float32 vectors."""
    if codes.dtype == np.int8:
        return codes.astype(np.float32) * np.float32(1.0 / scale)
    return np.asarray(codes, dtype=np.float32)


def as_codes(rows: np.ndarray, scale: float) -> np.ndarray:
    """Segment rows in whatever layout they were written -> int8 codes."""
    if rows.dtype == np.int8:
        return np.asarray(rows)
    return encode(rows, scale)


def faiss_codes(codes: np.ndarray) -> np.ndarray:
    """int8 codes -> the uint8 bytes the FAISS quantiser stores (value + 128)."""
    return np.ascontiguousarray(codes).view(np.uint8) ^ np.uint8(0x80)


def faiss_range(scale: float) -> np.ndarray:
    """(vmin, vdiff) of FAISS's uniform 8-bit quantiser that decodes code c to (c-128)/scale:
    it decodes ``vmin + (c + 0.5) / 255 * vdiff``."""
    return np.array([-128.5 / scale, 255.0 / scale], np.float32)
