"""How well a query fits each sample when one of the two is a box of the other.

A screenshot cut down to part of the frame (a crop), or one with the frame inside more picture
(a player window, a meme's caption band), correlates with no sample's whole thumbnail, so
``sabi.search.lookalike`` cannot place it by the whole picture; yet one is a box of the other.
``crop_fits``: each sample's thumbnail is resampled (bilinear, to a fraction of a pixel) over
boxes from half the frame to all of it, sized in each direction apart (a crop need not keep the
frame's shape), and every box is correlated with the query's thumbnail at OUT pixels.
``window_fits``: boxes from WINDOW_SMALLEST of the query to all of it, from a grey copy at twice
the thumbnail's size, are correlated with each sample's whole thumbnail. A sample scores its
best box, with the query or its mirror image. A query much narrower than the frame (a 9:16
strip cut for phones, a third of a 16:9 frame's width) gets boxes down to NARROW_SLACK of its
own shape's width (``narrowest_column``): from half the width up no box holds it, and with
the vectors of its padded copy alone (``sabi.prepare.strips``) such strips were within 1 s for
50 and 67.5 % of them on the tuning and third splits; placed by these boxes, 90 and 85 %.

That is a few thousand boxes a sample, so nothing is resampled: the boxes are separable (a row
resampling and a column resampling), and a correlation needs only the dot product of the box
with the other picture, the box's sum and its sum of squares, each a small matrix product on
the rows (about 0.65 ms a sample for crops and 0.1 ms for windows, on one core; batched matrix
products, where ``einsum`` took twice and four times as long).

``crop_fits_finer`` (``sabi.search.refine``, where the decoded frames are at hand): the best
box of each frame's coarse thumbnail, then boxes of a thumbnail twice as fine around it, a
few hundred of them. At the coarse size a crop fits the neighbouring frames of a pan or zoom
alike; the fine boxes tell them apart (about 8 ms a frame, less where frames share a box).

Chosen on the tuning split with the thumbnail size (``sabi.prepare.thumbs``): boxes at steps of
1/20 of the picture in size and 3/4 of a thumbnail pixel in position; window boxes from 0.75
against 0.6 (the same within ±1 s, one more answer within ±0.5 s).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from sabi.prepare.thumbs import both_ways, grey_thumbnail, unit_rows

SMALLEST = 0.5  # the smallest box, as a share of the frame's width (and, apart, its height)
SCALE_STEP = 0.05  # box sizes, as a share of the frame
SHIFT = 0.75  # box positions, in thumbnail pixels
OUT_SHARE = 0.7  # the size boxes are compared at, as a share of the thumbnail's
WINDOW_SMALLEST = 0.75  # the smallest box of a query taken for the frame inside it
NEAR_SHIFT = 0.5  # a finer pass's box positions, in its thumbnail's pixels (crop_fits_finer)
NEAR_POSITIONS = 3  # ... this many each side of the coarse box's
NEAR_SIZE_STEP = SCALE_STEP / 4  # ... its box sizes, as a share of the frame
NEAR_SIZES = 2  # ... this many each side of the coarse box's
NARROW_SLACK = 0.9  # a narrow query's boxes start at this share of its own shape's width


def out_size(width: int, height: int) -> tuple[int, int]:
    """The size (width, height) a box of a width x height thumbnail is compared at."""
    return round(width * OUT_SHARE), round(height * OUT_SHARE)


@lru_cache(maxsize=512)
def _resampling(n_in: int, lo: float, width: float, n_out: int) -> np.ndarray:
    """The (n_out x n_in) bilinear weights that sample [lo, lo + width) of n_in pixels at
    n_out evenly spaced points (pixel centres, edges clamped). Remembered: the finer pass asks
    for the same boxes frame after frame."""
    x = np.clip(lo + (np.arange(n_out) + 0.5) * width / n_out - 0.5, 0.0, n_in - 1.0)
    left = x.astype(np.int64)
    right_share = (x - left).astype(np.float32)
    weights = np.zeros((n_out, n_in + 1), np.float32)  # a spare column past the last pixel
    weights[np.arange(n_out), left] += 1.0 - right_share
    weights[np.arange(n_out), left + 1] += right_share
    return weights[:, :n_in]


@lru_cache(maxsize=8)
def spans(
    n_in: int, smallest: float = SMALLEST, shift: float = SHIFT
) -> tuple[tuple[float, float], ...]:
    """Every box along one axis as (start, width) in pixels: sizes from ``smallest`` of the
    axis up to all of it, each every ``shift`` pixels and flush with the far edge."""
    out: list[tuple[float, float]] = []
    for share in np.arange(smallest, 1.0 + 1e-6, SCALE_STEP):
        width = float(share) * n_in
        starts = list(np.arange(0.0, n_in - width + 1e-6, shift))
        if n_in - width - starts[-1] > 1e-6:
            starts.append(n_in - width)
        out += [(float(lo), width) for lo in starts]
    return tuple(out)


@lru_cache(maxsize=8)
def boxes(n_in: int, n_out: int, smallest: float = SMALLEST, shift: float = SHIFT) -> np.ndarray:
    """The boxes of ``spans`` as resampling weights (boxes x n_out x n_in)."""
    return np.stack(
        [_resampling(n_in, lo, width, n_out) for lo, width in spans(n_in, smallest, shift)]
    )


def _views(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """The query and its mirror image (2 x height x width, zero-mean, unit-norm) at the size
    the boxes of a width x height thumbnail are compared at."""
    out = out_size(width, height)
    views: np.ndarray = both_ways(image, out).reshape(2, out[1], out[0])
    return views


def narrowest_column(image: np.ndarray, width: int, height: int) -> float:
    """The narrowest box, as a share of a ``width`` x ``height`` picture's width, that a crop
    may be: SMALLEST, or less for a query much narrower than the picture (a 9:16 strip of a
    16:9 frame is a third of its width, at its full height; ``sabi.prepare.strips``)."""
    shape = (image.shape[1] / image.shape[0]) / (width / height)
    return float(min(SMALLEST, round(NARROW_SLACK * shape, 2)))


def _query_boxes(
    image: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The query's views (``_views``) and the row and column boxes of a ``width`` x ``height``
    picture they are compared with; the columns from ``narrowest_column``, also returned."""
    views = _views(image, width, height)
    narrowest = narrowest_column(image, width, height)
    rows, cols = boxes(height, views.shape[1]), boxes(width, views.shape[2], narrowest)
    return views, rows, cols, narrowest


def crop_fits(thumbs: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Per sample (``thumbs``: samples x height x width, uint8), the best correlation of any
    of its boxes with ``image`` or its mirror image."""
    _, height, width = thumbs.shape
    views, rows, cols, _ = _query_boxes(image, width, height)
    fits: np.ndarray = best_boxes(thumbs.astype(np.float32), views, rows, cols).max(axis=1)
    return fits


def crop_fits_finer(coarse: np.ndarray, fine: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Per picture (``coarse`` and ``fine``: the same pictures' thumbnails at two sizes), the
    best correlation with ``image`` or its mirror image of a box of its fine thumbnail close to
    the coarse box that fits best (NEAR_POSITIONS positions and NEAR_SIZES sizes each side).
    Coarse boxes of neighbouring frames of a pan or zoom fit a crop alike; the fine ones tell
    them apart, and searching only around the coarse box keeps that to a few hundred boxes."""
    count, height, width = coarse.shape
    views, rows, cols, narrowest = _query_boxes(image, width, height)
    corr = box_correlations(coarse.astype(np.float32), views, rows, cols).max(axis=2)
    fine_height, fine_width = fine.shape[1:]
    fine_views = _views(image, fine_width, fine_height)
    fine_out = fine_views.shape[2], fine_views.shape[1]
    places: dict[tuple[int, int], list[int]] = {}  # frames of a held shot share a box
    for k in range(count):
        at = np.unravel_index(int(np.argmax(corr[k])), corr[k].shape)
        places.setdefault((int(at[0]), int(at[1])), []).append(k)
    fits = np.empty(count, np.float32)
    for (row, col), members in places.items():
        near_rows = nearby(spans(height)[row], height, fine_height, fine_out[1])
        near_cols = nearby(spans(width, narrowest)[col], width, fine_width, fine_out[0])
        pictures = fine[members].astype(np.float32)
        fits[members] = best_boxes(pictures, fine_views, near_rows, near_cols).max(axis=1)
    return fits


def nearby(span: tuple[float, float], n_coarse: int, n_fine: int, n_out: int) -> np.ndarray:
    """Resampling weights (boxes x n_out x n_fine) of ``nearby_spans``."""
    return _weights(n_fine, nearby_spans(span, n_coarse, n_fine), n_out)


def _weights(n_in: int, boxes: list[tuple[float, float]], n_out: int) -> np.ndarray:
    """Resampling weights (boxes x n_out x n_in) of ``boxes`` (start, width) of an axis."""
    return np.stack([_resampling(n_in, lo, size, n_out) for lo, size in boxes])


def nearby_spans(
    span: tuple[float, float], n_coarse: int, n_fine: int
) -> list[tuple[float, float]]:
    """The boxes (start, width) of a finer axis around ``span``, a box of the coarse axis:
    sizes NEAR_SIZE_STEP apart and positions NEAR_SHIFT apart, with the same centre as it and
    to either side."""
    scale = n_fine / n_coarse
    start, width = span[0] * scale, span[1] * scale
    out = []
    for grow in np.arange(-NEAR_SIZES, NEAR_SIZES + 1) * NEAR_SIZE_STEP * n_fine:
        size = width + grow
        if size > n_fine + 1e-6:
            continue
        for move in np.arange(-NEAR_POSITIONS, NEAR_POSITIONS + 1) * NEAR_SHIFT:
            lo = start + move - grow / 2
            if lo >= -1e-6 and lo + size <= n_fine + 1e-6:
                out.append((round(float(lo), 3), round(float(size), 3)))
    return out


def fine_box(
    coarse: np.ndarray, fine: np.ndarray, image: np.ndarray
) -> tuple[bool, tuple[float, float, float, float]]:
    """Where ``crop_fits_finer`` fits ``image`` in one picture (its ``coarse`` and ``fine``
    thumbnails): whether it fits mirrored, and the box as shares of the picture (top, left,
    bottom, right), for a search at the picture's own size to start from."""
    height, width = coarse.shape
    views, rows, cols, narrowest = _query_boxes(image, width, height)
    corr = box_correlations(coarse[None].astype(np.float32), views, rows, cols)[0].max(axis=1)
    row, col = (int(v) for v in np.unravel_index(int(np.argmax(corr)), corr.shape))
    fine_height, fine_width = fine.shape
    fine_views = _views(image, fine_width, fine_height)
    near_rows = nearby_spans(spans(height)[row], height, fine_height)
    near_cols = nearby_spans(spans(width, narrowest)[col], width, fine_width)
    row_weights = _weights(fine_height, near_rows, fine_views.shape[1])
    col_weights = _weights(fine_width, near_cols, fine_views.shape[2])
    corr = box_correlations(fine[None].astype(np.float32), fine_views, row_weights, col_weights)
    r, view, c = (int(v) for v in np.unravel_index(int(np.argmax(corr[0])), corr[0].shape))
    (top, tall), (left, wide) = near_rows[r], near_cols[c]
    return view == 1, (
        top / fine_height,
        left / fine_width,
        (top + tall) / fine_height,
        (left + wide) / fine_width,
    )


def straightened(rgb: np.ndarray, angle: float) -> np.ndarray:
    """``rgb`` turned ``angle`` degrees (counter-clockwise), cut to the largest centred box of
    its shape that the turned picture fills: a screenshot tilted the other way by as much is
    then a crop of its frame."""
    image = Image.fromarray(np.ascontiguousarray(rgb))
    turned = image.rotate(angle, Image.Resampling.BILINEAR)
    a = np.radians(abs(angle))
    aspect = max(image.width / image.height, image.height / image.width)
    scale = 1.0 / (np.cos(a) + np.sin(a) * aspect)
    w, h = round(image.width * scale), round(image.height * scale)
    x, y = (image.width - w) // 2, (image.height - h) // 2
    return np.asarray(turned.crop((x, y, x + w, y + h)))


def plateau_middle(times: np.ndarray, scores: np.ndarray, tie: float) -> int:
    """The sample nearest the middle of the run of samples (in time order), around the best
    score, that score within ``tie`` of it: a crop of a pan or of a held shot is whole in
    several samples in a row, and the one it was cut from is the middle of them, not whichever
    one noise put first."""
    best = int(np.argmax(scores))
    lo = hi = best
    while lo > 0 and scores[lo - 1] >= scores[best] - tie:
        lo -= 1
    while hi + 1 < len(scores) and scores[hi + 1] >= scores[best] - tie:
        hi += 1
    middle = (times[lo] + times[hi]) / 2
    return min(range(lo, hi + 1), key=lambda k: abs(times[k] - middle))


def window_fits(thumbs: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Per sample (``thumbs``: samples x height x width, uint8), the best correlation of its
    thumbnail with any box of ``image`` or of its mirror image."""
    _, height, width = thumbs.shape
    grey = grey_thumbnail(image, (2 * width, 2 * height)).astype(np.float32)
    unit = unit_rows(thumbs.reshape(len(thumbs), -1)).reshape(thumbs.shape)
    rows = boxes(2 * height, height, WINDOW_SMALLEST, 2 * SHIFT)
    cols = boxes(2 * width, width, WINDOW_SMALLEST, 2 * SHIFT)
    fits: np.ndarray = best_boxes(np.stack([grey, grey[:, ::-1]]), unit, rows, cols).max(axis=0)
    return fits


def best_boxes(
    pictures: np.ndarray, templates: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """(pictures x templates): the best correlation of any box of each picture (the boxes
    ``rows`` x ``cols``, resampling to the templates' size) with each template (zero-mean,
    unit-norm)."""
    best: np.ndarray = box_correlations(pictures, templates, rows, cols).max(axis=(1, 3))
    return best


def box_correlations(
    pictures: np.ndarray, templates: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    """(pictures x row boxes x templates x column boxes): the correlation of every box of
    each picture with each template (see ``best_boxes``)."""
    count, _, width = pictures.shape
    out_h = templates.shape[1]
    # each picture's rows resampled by every row box: (pictures * row boxes) x out_h x width
    part = np.matmul(rows[None], pictures[:, None]).reshape(-1, out_h, width)
    # a box's dot product with a template is the part's with the template resampled back
    back = np.matmul(templates[:, None], cols[None]).reshape(len(templates) * len(cols), -1)
    dots = (part.reshape(len(part), -1) @ back.T).reshape(len(part), len(templates), len(cols))
    sums = part.sum(axis=1) @ cols.sum(axis=1).T
    grams = np.matmul(part.transpose(0, 2, 1), part).reshape(len(part), -1)
    squares = grams @ np.matmul(cols.transpose(0, 2, 1), cols).reshape(len(cols), -1).T
    spread = np.sqrt(np.maximum(squares - sums**2 / (out_h * templates.shape[2]), 1e-6))
    corr: np.ndarray = dots / spread[:, None, :]
    return corr.reshape(count, len(rows), len(templates), len(cols))
