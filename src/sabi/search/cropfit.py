"""How well a crop of the video fits each sample: its thumbnail against boxes of theirs.

A screenshot cut down to part of the frame correlates with no sample's whole thumbnail, so
``sabi.search.lookalike`` cannot place it by the whole picture; yet its picture is some box of
the right sample. Each sample's thumbnail is resampled (bilinear, to a fraction of a pixel)
over boxes from half the frame to all of it, sized in each direction apart (a crop need not
keep the frame's shape), and every box is correlated with the query's own thumbnail at OUT
pixels; a sample scores its best box.

That is a few thousand boxes a sample, so nothing is resampled: the boxes are separable (a row
resampling and a column resampling), and a correlation needs only the dot product of the box
with the query, the box's sum and its sum of squares, each a small matrix product on the
sample's rows (about 1 ms a sample, both views of the query, on one core).

Chosen on the tuning split with the thumbnail size (``sabi.prepare.thumbs``): boxes at steps of
1/20 of the frame in size and 3/4 of a thumbnail pixel in position.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sabi.prepare.thumbs import SIZE, grey_thumbnail, unit_rows

SMALLEST = 0.5  # the smallest box, as a share of the frame's width (and, apart, its height)
SCALE_STEP = 0.05  # box sizes, as a share of the frame
SHIFT = 0.75  # box positions, in thumbnail pixels
OUT = (round(SIZE[0] * 0.7), round(SIZE[1] * 0.7))  # the size boxes are compared at


def _resampling(n_in: int, lo: float, width: float, n_out: int) -> np.ndarray:
    """The (n_out x n_in) bilinear weights that sample [lo, lo + width) of n_in pixels at
    n_out evenly spaced points (pixel centres, edges clamped)."""
    weights = np.zeros((n_out, n_in), np.float32)
    for i in range(n_out):
        x = min(max(lo + (i + 0.5) * width / n_out - 0.5, 0.0), n_in - 1.0)
        j = int(x)
        weights[i, j] += 1.0 - (x - j)
        if j + 1 < n_in:
            weights[i, j + 1] += x - j
    return weights


@lru_cache(maxsize=8)
def boxes(n_in: int, n_out: int) -> np.ndarray:
    """Every box along one axis, as resampling weights (boxes x n_out x n_in): sizes from
    SMALLEST of the axis up to all of it, each at every SHIFT and flush with the far edge."""
    out = []
    for share in np.arange(SMALLEST, 1.0 + 1e-6, SCALE_STEP):
        width = float(share) * n_in
        starts = list(np.arange(0.0, n_in - width + 1e-6, SHIFT))
        if n_in - width - starts[-1] > 1e-6:
            starts.append(n_in - width)
        out += [_resampling(n_in, float(lo), width, n_out) for lo in starts]
    return np.stack(out)


def crop_fits(thumbs: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Per sample (``thumbs``: samples x height x width, uint8), the best correlation of any
    of its boxes with ``image`` or its mirror image."""
    count, height, width = thumbs.shape
    rows, cols = boxes(height, OUT[1]), boxes(width, OUT[0])
    grey = grey_thumbnail(image, OUT)
    views = unit_rows(np.stack([grey.ravel(), grey[:, ::-1].ravel()])).reshape(2, OUT[1], OUT[0])
    # each sample's rows resampled by every row box: (samples * row boxes) x OUT[1] x width
    part = np.einsum("aij,njk->naik", rows, thumbs.astype(np.float32)).reshape(-1, OUT[1], width)
    # a box's dot product with a view is the part's with the view resampled back by the columns
    back = np.einsum("vil,blk->vbik", views, cols).reshape(-1, OUT[1] * width)
    dots = (part.reshape(len(part), -1) @ back.T).reshape(len(part), 2, len(cols))
    sums = part.sum(axis=1) @ cols.sum(axis=1).T
    grams = np.einsum("xik,xim->xkm", part, part).reshape(len(part), -1)
    squares = grams @ np.einsum("blk,blm->bkm", cols, cols).reshape(len(cols), -1).T
    spread = np.sqrt(np.maximum(squares - sums**2 / (OUT[0] * OUT[1]), 1e-6))
    corr = (dots / spread[:, None, :]).max(axis=(1, 2))
    fits: np.ndarray = corr.reshape(count, len(rows)).max(axis=1)
    return fits
