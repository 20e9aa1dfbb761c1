"""Shot changes (hard cuts), found cheaply on frames that are decoded anyway.

Two consecutive frames are a cut when both their luma histograms and their coarse luma layouts
differ a lot: a histogram alone fires on fades and flashes, a layout difference alone on fast
motion. The indexer runs this on the sampled frames (2 per second by default), so a stored cut
time is the first sampled frame of the new shot; the true cut lies within one sampling step
before it. Preview clips refine that at full frame rate with the same detector.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from sabi.prepare.decode import SampledFrame

HIST_BINS = 32
HIST_CUT = 0.25  # total-variation distance of luma histograms (0..1)
LAYOUT_CUT = 20.0  # mean absolute luma difference of 1/8-scale thumbnails (0..255)
LAYOUT_ALONE = 60.0  # a layout change this large is a cut whatever the histograms say


def _luma(rgb: np.ndarray) -> np.ndarray:
    small = rgb[::4, ::4].astype(np.float32)
    luma: np.ndarray = small[..., 0] * 0.299 + small[..., 1] * 0.587 + small[..., 2] * 0.114
    return luma


class ShotDetector:
    """Feed frames in time order; ``feed`` says whether a new shot starts at that frame."""

    def __init__(self) -> None:
        self._hist: np.ndarray | None = None
        self._thumb: np.ndarray | None = None

    def feed(self, rgb: np.ndarray) -> bool:
        y = _luma(rgb)
        hist = np.histogram(y, bins=HIST_BINS, range=(0, 256))[0].astype(np.float32)
        hist /= max(1.0, float(hist.sum()))
        thumb = y[::2, ::2]
        cut = False
        if self._hist is not None and self._thumb is not None and self._thumb.shape == thumb.shape:
            tv = 0.5 * float(np.abs(hist - self._hist).sum())
            layout = float(np.abs(thumb - self._thumb).mean())
            cut = (tv > HIST_CUT and layout > LAYOUT_CUT) or layout > LAYOUT_ALONE
        self._hist, self._thumb = hist, thumb
        return cut


def detect_cuts(frames: Iterable[SampledFrame], cuts: list[float]) -> Iterator[SampledFrame]:
    """Pass ``frames`` through unchanged, appending the time of each new shot to ``cuts``."""
    detector = ShotDetector()
    for frame in frames:
        if detector.feed(frame.rgb):
            cuts.append(round(float(frame.time), 3))
        yield frame
