"""Synthetic libraries shaped like real ones, for store tests that need many frames.

Frames of a show share a style, frames of a shot drift slowly from a random start, and queries
are stored frames moved by an edit as far as a real screenshot edit moves an SSCD vector
(similarity ~0.8 to its frame). The truth is exact float32 search over everything added.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def show_episodes(
    show: int, episodes: int, frames: int, dim: int, seed: int = 0
) -> Iterator[np.ndarray]:
    """The episodes of one show: shots of ~8 frames drifting around the show's style."""
    rng = np.random.default_rng([seed, show])
    style = rng.standard_normal(dim).astype(np.float32)
    for _ in range(episodes):
        shots = []
        n = 0
        while n < frames:
            length = int(min(frames - n, 1 + rng.geometric(1 / 8)))
            start = style * 0.8 + rng.standard_normal(dim).astype(np.float32)
            steps = rng.standard_normal((length, dim)).astype(np.float32) * 0.12
            shots.append(unit(start + np.cumsum(steps, axis=0)))
            n += length
        yield np.concatenate(shots)


def edit(vectors: np.ndarray, rng: np.random.Generator, strength: float = 0.75) -> np.ndarray:
    """Move each vector as a screenshot edit would (a random direction, similarity ~0.8)."""
    noise = unit(rng.standard_normal(vectors.shape).astype(np.float32))
    return unit(vectors + strength * noise)
