"""A portrait still that may be a strip cut from a wider frame, padded back to a frame's shape.

A re-upload for phones often cuts a 16:9 video to 9:16 with no fill: each picture is a strip
about a third of the frame wide. The copy-detection vector of such a strip is far from its
frame's (the descriptor sees a third of the picture, stretched to fill its input): on the
accuracy benchmark's `strip` family the right episode came first for 75 % of them on the
tuning split and 80 % on a third split (seed 23). The strip padded to 16:9 by mirroring its
sides keeps the picture's scale and layout, and its vector lands nearer the frame's: 95 and
97.5 % as a whole query (padding with grey gave 90 % on both, a blurred stretch of the strip
85 and 92.5 %, the strip three times side by side 90 and 97.5 %).

The searcher tries it as one more view in the boxes' batch (it takes one of ``max_regions``),
only where a still is NARROW and its answer is not yet found: one more embedding, 3-7 ms on a
phone screenshot. The scenes it finds are placed in time by the strip itself, which
``sabi.search.cropfit`` fits as a narrow box of the samples: right episode 100 % on both
splits, within 1 s 45 -> 90 % (tuning) and 50 -> 85 % (third); of 60 strips of unindexed
frames, one was answered found. No other family changed.
"""

from __future__ import annotations

import numpy as np

from sabi.prepare.query import shrink

NARROW = 0.8  # width / height at most: a portrait still, which no landscape frame fills
SHAPE = 16 / 9  # the frame's shape a strip is padded to


def padded_strip(rgb: np.ndarray, width: int) -> np.ndarray | None:
    """``rgb`` padded left and right to SHAPE by mirroring its sides, where it is NARROW,
    shrunk first so the result is at most about ``width`` wide (a phone screenshot padded at
    full size is tens of megabytes); None for a wider picture."""
    h, w = rgb.shape[:2]
    if w > NARROW * h:
        return None
    if h * SHAPE > width:
        rgb = shrink(rgb, max(1, round(width * w / (h * SHAPE))))
        h, w = rgb.shape[:2]
    full = max(w, round(h * SHAPE))
    left = (full - w) // 2
    padded: np.ndarray = np.pad(rgb, ((0, 0), (left, full - w - left), (0, 0)), mode="symmetric")
    return padded
