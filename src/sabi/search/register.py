"""Find where a video frame sits inside a query image, by correlating the frame's own pixels.

A screenshot of a player window or a page carries the frame at some scale and offset, with
chrome and subtitles around and over it. Boxes proposed from the query's edges and colour bands
(``sabi.prepare.regions``) are good enough to search with, but a few pixels off: in a pan that
is enough for a pixel comparison to prefer a neighbouring frame. Where a frame of the source is
at hand (``exact``), its grey picture is slid over the query's at a range of scales instead, and
the box where the two correlate best is where the frame sits: first coarsely on a WORK-wide
copy, then to a pixel of a copy up to FINE_WORK wide, near the first box.

What it costs: for each of SCALES (19) the frame scaled to that share of a WORK-wide copy of the
query and correlated at every second position, then 7 scales near the best at every position
within a few pixels of it: 30-90 ms of one core for a 320-wide prepared query, up to 160 ms for
a 960-wide one. Only ``exact`` calls it, and only when the query is not framed like the video
already. ``fits_near`` then fits each of the decoded frames near that box, at its own best
spot: 3-20 ms a frame (about 17 ms in a box widened from a 320-wide one, at 7 scales).

The other way round, a crop lies inside the frame: ``crop_fits_near`` slides the crop's grey
picture near the box the thumbnails put it in, in each decoded frame, and reads each frame's
best fit between pixels (``peak``), so that a pan's fraction of a pixel a frame does not decide
which frame fits best (``sabi.search.refine.registered``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sabi.prepare.thumbs import grey_thumbnail

WORK = 160  # width (pixels) of the query copy the frame is looked for in
SCALES = np.arange(0.55, 1.0001, 0.025)  # frame width / query width tried (a window: ~0.6-0.95)
STRIDE = 2  # positions tried, in WORK pixels
MIN_SIDE = 8  # smallest frame, in WORK pixels, worth correlating
FINE_WORK = 480  # width of the query copy the second pass looks in (the query's, if narrower)
FINE = 0.005  # scale step of the second pass
FLAT = 0.01  # variance per pixel (grey levels squared) under which a window is taken as blank


def _grey(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    return grey_thumbnail(rgb, (width, height)).astype(np.float32)


def _integral(image: np.ndarray) -> np.ndarray:
    """Summed-area table with a zero row and column in front (float64: sums of squares)."""
    out = np.zeros((image.shape[0] + 1, image.shape[1] + 1))
    out[1:, 1:] = image.astype(np.float64).cumsum(axis=0).cumsum(axis=1)
    return out


def _box_sums(table: np.ndarray, h: int, w: int, stride: int) -> np.ndarray:
    """The sum of every h x w window at every ``stride``-th position, from a summed-area
    table."""
    rows = (table.shape[0] - 1 - h) // stride + 1
    cols = (table.shape[1] - 1 - w) // stride + 1
    y = np.arange(rows) * stride
    x = np.arange(cols) * stride
    sums: np.ndarray = (
        table[np.ix_(y + h, x + w)]
        - table[np.ix_(y, x + w)]
        - table[np.ix_(y + h, x)]
        + table[np.ix_(y, x)]
    )
    return sums


def locate(frame: np.ndarray, query: np.ndarray) -> tuple[tuple[int, int, int, int], float]:
    """Where ``frame`` sits in ``query`` as (top, left, bottom, right) in the query's pixels,
    and the correlation there (-1 to 1; the box is the whole query when nothing fits).

    Two passes: every scale of SCALES at every STRIDE-th position of a WORK-wide copy, then
    scales FINE apart around the best one at every position of a copy FINE_WORK wide, within a
    few pixels of the first box (one WORK pixel is three of a 480-wide query)."""
    qh0, qw0 = query.shape[:2]
    q = _grey(query, WORK, max(MIN_SIDE, round(WORK * qh0 / qw0)))
    found, fit = _best_box(frame, q, qw0 / WORK, SCALES, STRIDE)
    if found is None:
        return (0, 0, qh0, qw0), fit
    top, left, bottom, right = found
    width = min(FINE_WORK, qw0)
    f = qw0 / width  # query pixels per pixel of the fine copy
    fine = _grey(query, width, max(MIN_SIDE, round(width * qh0 / qw0)))
    pad = round(STRIDE * qw0 / WORK / f) + 2  # the first pass's step, in fine pixels
    y0, x0 = max(0, round(top / f) - pad), max(0, round(left / f) - pad)
    y1 = min(fine.shape[0], round(bottom / f) + 2 * pad)
    x1 = min(fine.shape[1], round(right / f) + 2 * pad)
    scales = (right - left) / qw0 + FINE * np.arange(-3, 4)
    box, fine_fit = _best_box(frame, fine[y0:y1, x0:x1], f, scales * width / (x1 - x0), 1)
    if box is None or fine_fit < fit:
        return found, fit
    return _shifted(box, round(y0 * f), round(x0 * f)), fine_fit


def fits_near(
    frames: Sequence[np.ndarray],
    query: np.ndarray,
    box: tuple[int, int, int, int],
    slide: int,
    steps: int = 0,
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """How well each of ``frames`` fits ``query`` near ``box`` (where one frame was located):
    moved up to ``slide`` pixels each way and scaled up to ``steps`` FINE steps either way, the
    best correlation of each frame, and the box where it was. In a pan the box located for one
    frame is shifted with the picture; every frame fitted near it at its own best spot, the
    captured one fits best."""
    grey = _grey(query, query.shape[1], query.shape[0])
    top, left, bottom, right = box
    y0, x0 = max(0, top - slide), max(0, left - slide)
    # room for the larger scales too: they grow the box right and down from its corner
    y1, x1 = min(grey.shape[0], bottom + 2 * slide), min(grey.shape[1], right + 2 * slide)
    qw = grey.shape[1]
    scales = ((right - left) / qw + FINE * np.arange(-steps, steps + 1)) * qw / (x1 - x0)
    found = [_best_box(f, grey[y0:y1, x0:x1], 1.0, scales, 1) for f in frames]
    fits = np.array([fit for _, fit in found])
    spots = [box if spot is None else _shifted(spot, y0, x0) for spot, _ in found]
    return fits, spots


def crop_fits_near(
    query: np.ndarray,
    frames: Sequence[np.ndarray],
    box: tuple[int, int, int, int],
    slide: int,
    grow: int,
) -> np.ndarray:
    """How well ``query`` (a crop) fits each of ``frames`` near ``box``, in the frames' pixels:
    its grey picture at widths up to ``grow`` pixels either side of the box's, slid up to
    ``slide`` pixels each way, the best correlation of each frame with its peak interpolated
    between pixels (``peak``). In a pan the crop lies a fraction of a pixel further in each
    frame; at whole pixels only, the frames that happen to land on one score higher, by more
    than one frame of motion changes the picture."""
    top, left, bottom, right = box
    aspect = query.shape[0] / query.shape[1]
    templates = []
    for width in range(right - left - grow, right - left + grow + 1):
        t = _unit(_grey(query, width, round(width * aspect)))
        if t is not None:
            templates.append(t)
    y0, x0 = max(0, top - slide), max(0, left - slide)
    fits = np.full(len(frames), -1.0)
    for k, frame in enumerate(frames):
        grey = _grey(frame, frame.shape[1], frame.shape[0])
        near = grey[y0 : bottom + slide + grow, x0 : right + slide + grow]
        plain, squared = _integral(near), _integral(near * near)
        for t in templates:
            if t.shape[0] <= near.shape[0] and t.shape[1] <= near.shape[1]:
                fits[k] = max(fits[k], peak(_correlations(near, plain, squared, t, 1)))
    return fits


def peak(corr: np.ndarray) -> float:
    """The highest value of a correlation map, raised to the top of the parabola through it
    and its two neighbours along each axis: where the best fit lies between pixels."""
    y, x = (int(v) for v in np.unravel_index(int(np.argmax(corr)), corr.shape))
    top = float(corr[y, x])
    rise = 0.0
    if 0 < y < corr.shape[0] - 1:
        rise += _rise(float(corr[y - 1, x]), top, float(corr[y + 1, x]))
    if 0 < x < corr.shape[1] - 1:
        rise += _rise(float(corr[y, x - 1]), top, float(corr[y, x + 1]))
    return top + rise


def _rise(before: float, top: float, after: float) -> float:
    """How far the parabola through three neighbouring values rises above the middle one."""
    bend = before - 2 * top + after
    return (before - after) ** 2 / (-8 * bend) if bend < 0 else 0.0


def _unit(t: np.ndarray) -> np.ndarray | None:
    """``t`` less its mean, to unit length; None when it is flat."""
    t = t - t.mean()
    norm = float(np.linalg.norm(t))
    return None if norm == 0 else t / norm


def _correlations(
    q: np.ndarray, plain: np.ndarray, squared: np.ndarray, t: np.ndarray, stride: int
) -> np.ndarray:
    """The correlation of the unit template ``t`` with every window of ``q`` at every
    ``stride``-th position (``plain`` and ``squared``: ``q``'s summed-area tables); 0 where
    the window is flat (a blank page fits nothing)."""
    th, tw = t.shape
    windows = np.lib.stride_tricks.sliding_window_view(q, (th, tw))[::stride, ::stride]
    dot = np.einsum("ijkl,kl->ij", windows, t)
    sums, squares = _box_sums(plain, th, tw, stride), _box_sums(squared, th, tw, stride)
    spread = squares - sums * sums / t.size
    corr: np.ndarray = np.where(
        spread > FLAT * t.size, dot / np.sqrt(np.maximum(spread, 1e-6)), 0.0
    )
    return corr


def _shifted(box: tuple[int, int, int, int], dy: int, dx: int) -> tuple[int, int, int, int]:
    return box[0] + dy, box[1] + dx, box[2] + dy, box[3] + dx


def _best_box(
    frame: np.ndarray, q: np.ndarray, f: float, scales: np.ndarray, stride: int
) -> tuple[tuple[int, int, int, int] | None, float]:
    """The box where ``frame`` correlates best with the grey picture ``q`` (a query copy with
    ``f`` query pixels to its pixel), in the query's pixels from ``q``'s corner, and that
    correlation: ``scales`` are frame widths as shares of ``q``'s width, tried at every
    ``stride``-th position."""
    qh, qw = q.shape
    plain, squared = _integral(q), _integral(q * q)
    aspect = frame.shape[0] / frame.shape[1]
    best, box = -1.0, None
    for scale in scales:
        tw = round(scale * qw)
        th = round(tw * aspect)
        if th > qh or tw > qw or min(th, tw) < MIN_SIDE:
            continue
        t = _unit(_grey(frame, tw, th))
        if t is None:
            continue
        corr = _correlations(q, plain, squared, t, stride)
        y, x = (int(v) for v in np.unravel_index(int(np.argmax(corr)), corr.shape))
        if corr[y, x] > best:
            best, box = (
                float(corr[y, x]),
                (stride * y, stride * x, stride * y + th, stride * x + tw),
            )
    if box is None:
        return None, best
    top, left, bottom, right = box
    return (round(top * f), round(left * f), round(bottom * f), round(right * f)), best
