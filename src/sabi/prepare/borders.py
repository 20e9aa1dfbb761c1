"""Black letterbox/pillarbox detection.

For a video the decision is made once, from frames spread over the whole file, so a dark scene
is never mistaken for a border. A query image has only itself to go by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_KEEP = 0.4  # never keep less than this share of a side
MIN_BAR = 0.01  # bars thinner than this share are noise, not bars


@dataclass(frozen=True)
class Crop:
    """Fractions of the frame's height/width to cut from each side."""

    top: float = 0.0
    bottom: float = 0.0
    left: float = 0.0
    right: float = 0.0

    @property
    def empty(self) -> bool:
        return not (self.top or self.bottom or self.left or self.right)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        if self.empty:
            return frame
        h, w = frame.shape[:2]
        y0, y1 = round(h * self.top), h - round(h * self.bottom)
        x0, x1 = round(w * self.left), w - round(w * self.right)
        return frame[y0:y1, x0:x1]


def _dark_run(lines_mean: np.ndarray, lines_std: np.ndarray, level: int) -> int:
    """How many lines from the start are uniformly dark."""
    dark = (lines_mean < level) & (lines_std < max(4.0, level / 2))
    if dark.all():
        return len(dark)
    return int(np.argmin(dark))


def frame_bars(frame: np.ndarray, level: int) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) dark-bar sizes in pixels; None for an all-dark frame."""
    grey = frame.mean(axis=2, dtype=np.float32) if frame.ndim == 3 else frame.astype(np.float32)
    rows_mean, rows_std = grey.mean(axis=1), grey.std(axis=1)
    cols_mean, cols_std = grey.mean(axis=0), grey.std(axis=0)
    top = _dark_run(rows_mean, rows_std, level)
    if top >= grey.shape[0]:
        return None
    bottom = _dark_run(rows_mean[::-1], rows_std[::-1], level)
    left = _dark_run(cols_mean, cols_std, level)
    right = _dark_run(cols_mean[::-1], cols_std[::-1], level)
    return top, bottom, left, right


def detect_crop(frames: Sequence[np.ndarray], level: int = 24) -> Crop:
    """One crop for all these frames (of one video), or for one query image.

    The median of per-frame bar sizes: a bar is in every frame, while dark scenes make some
    frames look more barred than they are and subtitles in a bar make some look less; neither
    is in most frames.
    """
    bars = []
    for frame in frames:
        b = frame_bars(frame, level)
        if b is not None:
            h, w = frame.shape[:2]
            bars.append((b[0] / h, b[1] / h, b[2] / w, b[3] / w))
    if not bars:
        return Crop()
    top, bottom, left, right = np.median(np.array(bars), axis=0)
    top, bottom, left, right = (v if v >= MIN_BAR else 0.0 for v in (top, bottom, left, right))
    if 1 - top - bottom < MIN_KEEP:
        top = bottom = 0.0
    if 1 - left - right < MIN_KEEP:
        left = right = 0.0
    return Crop(float(top), float(bottom), float(left), float(right))
