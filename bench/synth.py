"""Synthetic frame vectors that look like a video collection's, for million-frame indexes.

Uniform random unit vectors are the wrong test for an ANN index: real frame vectors come in
shows (a style), shots (a start and a slow drift) and repeats (the opening and ending of every
episode of a show). So the generator is fitted to real descriptor output:

- a Gaussian (mean and covariance) of real frame vectors from the benchmark clips;
- a show = an offset drawn from that Gaussian (its style), with an opening and an ending;
- a shot = a draw from the Gaussian around the show's offset, then a random walk whose steps are
  real frame-to-frame differences (consecutive frames at the indexing rate);
- every episode = opening + shots + ending, the opening/ending re-drawn with a small jitter (a
  different encode of the same frames).

``calibration`` compares the synthetic and the real vectors on the statistics that matter
(similarity of unrelated frames, of consecutive frames, of nearest neighbours).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

FRAMES_PER_EPISODE = 2000  # ~24 min at ~1.4 kept frames/s
SECONDS_PER_FRAME = 0.72
EPISODES_PER_SHOW = 12
OP_FRAMES = 120


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
    out: np.ndarray = (x / norms).astype(np.float32)
    return out


@dataclass
class Model:
    mean: np.ndarray  # (d,)
    basis: np.ndarray  # (k, d): sqrt(eigenvalue) * eigenvector
    deltas: np.ndarray  # (m, d): real consecutive-frame differences
    show_scale: float = 0.6  # spread of show styles relative to the frame Gaussian
    shot_scale: float = 0.8  # spread of shots around their show

    @classmethod
    def fit(cls, vectors: np.ndarray, deltas: np.ndarray) -> Model:
        mean = vectors.mean(axis=0)
        centred = vectors - mean
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        scale = s / np.sqrt(max(1, len(vectors) - 1))
        return cls(mean.astype(np.float32), (vt * scale[:, None]).astype(np.float32), deltas)

    def gaussian(self, rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
        z = rng.standard_normal((n, self.basis.shape[0]), dtype=np.float32)
        out: np.ndarray = scale * (z @ self.basis)
        return out

    def walk(self, rng: np.random.Generator, start: np.ndarray, length: int) -> np.ndarray:
        steps = self.deltas[rng.integers(0, len(self.deltas), length)]
        steps = steps * rng.uniform(0.3, 1.2, (length, 1)).astype(np.float32)
        steps[0] = 0
        return _unit(start[None, :] + np.cumsum(steps, axis=0))


class Collection:
    """Episodes of synthetic shows, reproducible from ``seed`` (episode i is the same whatever
    the collection's size)."""

    def __init__(self, model: Model, seed: int = 0):
        self.model = model
        self.seed = seed
        self._shows: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _show(self, show: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if show not in self._shows:
            m = self.model
            rng = np.random.default_rng([self.seed, 1, show])
            style = m.mean + m.gaussian(rng, 1, m.show_scale)[0]
            op = self._shots(rng, style, OP_FRAMES)
            ed = self._shots(rng, style, OP_FRAMES)
            self._shows = {show: (style, op, ed)}  # episodes come in show order: keep one
        return self._shows[show]

    def _shots(self, rng: np.random.Generator, style: np.ndarray, frames: int) -> np.ndarray:
        m = self.model
        parts, n = [], 0
        while n < frames:
            length = int(min(frames - n, 1 + rng.geometric(1 / 5)))
            start = style + m.gaussian(rng, 1, m.shot_scale)[0]
            parts.append(m.walk(rng, start, length))
            n += length
        return np.concatenate(parts)

    def episode(
        self, i: int, frames: int = FRAMES_PER_EPISODE
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(vectors, starts, ends) of synthetic episode ``i``."""
        show = i // EPISODES_PER_SHOW
        style, op, ed = self._show(show)
        rng = np.random.default_rng([self.seed, 2, i])
        jitter = self.model.deltas[rng.integers(0, len(self.model.deltas), 2 * OP_FRAMES)] * 0.15
        body = self._shots(rng, style, frames - 2 * OP_FRAMES)
        vectors = np.concatenate(
            [_unit(op + jitter[:OP_FRAMES]), body, _unit(ed + jitter[OP_FRAMES:])]
        )
        starts = np.arange(frames, dtype=np.float32) * SECONDS_PER_FRAME
        return vectors.astype(np.float32), starts, starts + SECONDS_PER_FRAME * 0.9

    def episodes(self, total: int) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """Episodes until ``total`` frames (the last one cut short)."""
        i, done = 0, 0
        while done < total:
            n = min(FRAMES_PER_EPISODE, total - done)
            v, s, e = self.episode(i)
            yield i, v[:n], s[:n], e[:n]
            done += n
            i += 1


def calibration(
    real: np.ndarray, real_sources: np.ndarray, real_deltas_cos: np.ndarray, synthetic: np.ndarray
) -> dict[str, tuple[float, float]]:
    """(real, synthetic) pairs of statistics: similarity of frames from unrelated videos (real:
    different clips; synthetic: different shows) (mean, p99), consecutive
    frame similarity (mean), nearest-neighbour similarity excluding the frame's own shot."""
    rng = np.random.default_rng(0)

    def pairs(x: np.ndarray, groups: np.ndarray, n: int = 20000) -> np.ndarray:
        a, b = rng.integers(0, len(x), n), rng.integers(0, len(x), n)
        keep = groups[a] != groups[b]
        return np.sum(x[a[keep]] * x[b[keep]], axis=1)

    syn_groups = np.arange(len(synthetic)) // (FRAMES_PER_EPISODE * EPISODES_PER_SHOW)
    rp, sp = pairs(real, real_sources), pairs(synthetic, syn_groups)
    syn_consecutive = np.sum(synthetic[1:] * synthetic[:-1], axis=1)
    return {
        "unrelated frames: mean similarity": (float(rp.mean()), float(sp.mean())),
        "unrelated frames: p99 similarity": (
            float(np.quantile(rp, 0.99)),
            float(np.quantile(sp, 0.99)),
        ),
        "consecutive frames (0.5 s): median similarity": (
            float(np.median(real_deltas_cos)),
            float(np.median(syn_consecutive)),
        ),
    }
