"""The contract every frame descriptor meets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image


@runtime_checkable
class Embedder(Protocol):
    """Turns RGB frames into unit vectors whose inner product is their similarity.

    ``name`` is recorded in the index so that vectors from different descriptors are never
    mixed: their similarity would be meaningless.
    """

    name: str
    dim: int

    def embed(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """``frames``: HxWx3 uint8 RGB arrays (sizes may differ). Returns (n, dim) float32."""
        ...


def l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    unit: np.ndarray = x / np.maximum(norms, 1e-12)
    return unit


def resize_square(frame: np.ndarray, size: int) -> np.ndarray:
    """Squash to size x size. Whole-frame squash keeps every pixel (a crop would lose the
    edges that cropped screenshots still show) and batches frames of any aspect together."""
    if frame.shape[0] == size and frame.shape[1] == size:
        return frame
    return np.asarray(Image.fromarray(frame).resize((size, size), Image.Resampling.BILINEAR))
