"""Where a video frame may sit inside a larger picture: candidate boxes for a query that is
more than the frame (a still pasted small into a meme, a phone screenshot of an app, a browser
or player window, a photo of a monitor).

The whole query is always searched first; these boxes are only tried when that answer is weak,
and each costs one more embedding, so the proposer aims for a handful of likely boxes rather
than many. Four cheap signals, all read from a copy about 320 pixels on its long side:

- **edges**: the border of a pasted picture or a video pane is a straight line of strong
  gradient. Long horizontal and vertical runs of strong gradient are paired into rectangles of
  a video's shape (width/height 1.2-2.5) and ranked by how much of their outline is edge; a
  rectangle with no texture inside (a filled shape, an empty panel) is not a picture.
- **bands**: app chrome, caption bands, a phone's status bar and comment list are separated from
  the video by rows or columns of one colour, as are the pictures of a comparison meme. Cutting
  the picture along such rows, then columns, then rows again (an XY cut) leaves blocks; those
  of a video's shape are kept, at BAND_SCORE, below a clean outline. A block of a whole frame's
  shape (FRAME_ASPECTS) whose every side inside the picture is edge (a picture on a plain
  ground) scores the least share of edge along those sides instead, taken one pixel in from
  them as edge boxes are. At BAND_SCORE, the two pictures of a comparison meme ranked below
  edge boxes found inside them, and six boxes often missed the frame. On the benchmark
  (within 1 s): comparison memes 80 -> 95 % on the tuning split and on the third, cards and
  browser windows one query more on the third, and one phone screenshot less there (a frame
  at a cut, between two samples). Blocks of any shape scored so lost phone screenshots and
  pages: a row inside the frame that happens to be of one colour cuts it, and that part took
  the place of the frame's seams. Scoring every block 0.8 (level with good outlines) took the
  place of a page's frame with the block of the frame and its title line (8 frames off with
  `exact` in the tests); along the title, that block's side is mostly not edge.
- **seams**: a frame laid across the full width of a taller picture (a 9:16 re-upload over its
  own blurred copy, an app's player) or the full height of a wider one has two sides where
  nearly every pixel of a row (column) changes at once, a frame's height (width) apart at
  16:9 or 4:3, and the rows beyond each seam change much less (a blur, a flat colour; in a
  textured picture every row changes); its other two sides are the picture's own edges, which
  no outline shows. On the benchmark (within 1 s): 9:16 re-uploads 95 -> 100 % on the tuning
  split and 82.5 -> 97.5 % on the third, phone screenshots 90 -> 100 % there, no other family
  changed. Without the rows beyond, seams were found inside textured pictures too.
- **fixed**: a portrait image (a phone screenshot) is tried at 16:9 across its full width near
  the top and in the middle, where apps put the player.

Near-identical boxes (IoU > 0.8, the whole image counted as already searched) are kept once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

WORK_SIDE = 320  # long side of the copy the boxes are looked for on
MIN_AREA = 0.03  # share of the image a box must cover (a 2.35:1 frame 30 % wide in a square: 3.8 %)
MAX_AREA = 0.92  # ... and may cover: the whole image was searched already
ASPECT = (1.2, 2.5)  # width/height of a video frame, loosely (4:3 to 21:9 with some slack)
EDGE_LEVEL = 20  # gradient (0-255, over two pixels) that counts as an edge
MIN_COVER = 0.6  # share of a line's run, or of a box's outline, that must be edge
BORDER_COVER = 0.6  # the image's own edge as a box side (a player across the full width): no
# gradient to read there, so it counts as a partly seen outline
BAND_SCORE = 0.75  # a block cut out by rows/columns of one colour: below a clean outline
MAX_LINES = 16  # line candidates per direction, best first
UNIFORM_TOL = 12  # a pixel within this (0-255, any channel) of its row's median is "same colour"
UNIFORM_SHARE = 0.97  # share of a row's pixels that must be the same colour for a uniform row
SAME = 0.8  # IoU above which two boxes are the same box
SEAM_ASPECTS = (16 / 9, 4 / 3)  # shapes of a frame laid across a whole picture (seams)
FRAME_ASPECTS = (16 / 9, 4 / 3, 2.39)  # shapes of a whole frame (a band block on a clean ground)
SHAPE_TOL = 0.04  # ... a box may be off them by this share (work-copy rounding)
SEAM_COVER = 0.75  # share of a seam's pixels that must be edge, on average over its two
SEAM_SLACK = 2  # work-copy pixels the far seam may be from where the frame's shape puts it
SEAM_BEYOND = (3, 6)  # rows beyond a seam (nearest, farthest) that must change much less


@dataclass(frozen=True)
class Region:
    """A box in the image's pixels (``x1``/``y1`` exclusive), with the proposer's confidence
    (0-1; it orders the boxes) and the signal that found it."""

    x0: int
    y0: int
    x1: int
    y1: int
    score: float
    source: str

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.x0, self.y0, self.x1, self.y1

    def crop(self, rgb: np.ndarray) -> np.ndarray:
        return rgb[self.y0 : self.y1, self.x0 : self.x1]


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of the width/height


def propose_regions(rgb: np.ndarray, max_regions: int = 6) -> list[Region]:
    """At most ``max_regions`` boxes where a video frame may sit in ``rgb``, best first."""
    h, w = rgb.shape[:2]
    if max_regions <= 0 or h < 16 or w < 16:
        return []
    work = _work_copy(rgb)
    horiz, vert = _edge_maps(work)
    scored = (
        _edge_boxes(work, horiz, vert)
        + _seam_boxes(work)
        + _band_boxes(work, horiz, vert)
        + _fixed_boxes(h, w)
    )
    scored.sort(key=lambda c: c[1], reverse=True)
    kept: list[tuple[Box, float, str]] = []
    for box, score, source in scored:
        if _iou(box, (0.0, 0.0, 1.0, 1.0)) > SAME or any(_iou(box, k[0]) > SAME for k in kept):
            continue
        kept.append((box, score, source))
        if len(kept) == max_regions:
            break
    return [_to_pixels(box, score, source, w, h) for box, score, source in kept]


def _work_copy(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` box-reduced by a whole factor to at most WORK_SIDE on its long side (no resize
    after: the thresholds are shares of the size, not pixels), as int16 so differences do not
    wrap."""
    factor = -(-max(rgb.shape[:2]) // WORK_SIDE)
    img = Image.fromarray(np.ascontiguousarray(rgb[..., :3]))
    if factor >= 2:
        img = img.reduce(factor)
    return np.asarray(img, dtype=np.int16)


def _plausible(bw: float, bh: float) -> bool:
    """A box of ``bw`` x ``bh`` pixels has the shape of a video frame."""
    return bh > 0 and ASPECT[0] <= bw / bh <= ASPECT[1]


# ----- edges


def _edge_maps(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where a pixel's rows above and below (``horiz``) or its columns left and right
    (``vert``) differ by more than EDGE_LEVEL. Centred differences over two pixels: a border
    blurred by the downscale is still one step."""
    h, w = img.shape[:2]
    horiz = np.zeros((h, w), bool)
    vert = np.zeros((h, w), bool)
    horiz[1:-1] = _largest(img[2:] - img[:-2]) > EDGE_LEVEL
    vert[:, 1:-1] = _largest(img[:, 2:] - img[:, :-2]) > EDGE_LEVEL
    return horiz, vert


def _edge_boxes(
    img: np.ndarray, horiz: np.ndarray, vert: np.ndarray
) -> list[tuple[Box, float, str]]:
    h, w = img.shape[:2]
    run = max(8, round(0.12 * min(h, w)))
    ys = np.array([0, *_lines(horiz, run, axis=1), h - 1])
    xs = np.array([0, *_lines(vert, run, axis=0), w - 1])
    texture = _integral(horiz | vert)
    xi, xj = np.triu_indices(len(xs), 1)
    yi, yj = np.triu_indices(len(ys), 1)
    # How much of each line (rows: lines y; columns: pairs of x) is edge just beyond the pair:
    # a side whose line runs on past the corner is a stretch of a longer line (the top of a
    # player seen from inside the picture), not this box's outline. Read before widening, so
    # text next to an outline does not count as a line.
    past_x = _past(_prefix(horiz[ys]), xs[xi], xs[xj], round(0.04 * w))
    past_y = _past(_prefix(vert[:, xs].T), ys[yi], ys[yj], round(0.04 * h))
    # A line may be a pixel off where the outline meets it: each map is widened by one across.
    horiz = horiz | np.roll(horiz, 1, 0) | np.roll(horiz, -1, 0)
    vert = vert | np.roll(vert, 1, 1) | np.roll(vert, -1, 1)
    across = _cover(_prefix(horiz[ys]), xs[xi], xs[xj])
    down = _cover(_prefix(vert[:, xs].T), ys[yi], ys[yj])
    for cover, past in ((across, past_x), (down, past_y)):
        cover[[0, -1]] = BORDER_COVER  # the image's own edges: an outline nobody can see
        past[[0, -1]] = 0.0
    sides = np.stack([across[yi], across[yj], down[xi].T, down[xj].T])  # (4, pairs y, pairs x)
    beyond = np.stack([past_x[yi], past_x[yj], past_y[xi].T, past_y[xj].T])
    score = sides.mean(axis=0) - 0.5 * beyond.mean(axis=0)
    x0, x1 = xs[xi][None, :], xs[xj][None, :]
    y0, y1 = ys[yi][:, None], ys[yj][:, None]
    bw, bh = (x1 - x0).astype(float), (y1 - y0).astype(float)
    area = bw * bh / (h * w)
    # Texture inside (two pixels in from the outline): a flat panel or a filled shape of a
    # video's shape is not a picture.
    a, b, c, d = x0 + 2, y0 + 2, np.maximum(x1 - 2, x0 + 3), np.maximum(y1 - 2, y0 + 3)
    inside = (texture[d, c] - texture[b, c] - texture[d, a] + texture[b, a]) / ((c - a) * (d - b))
    ok = (
        (sides.min(axis=0) >= 0.5)
        & (score >= MIN_COVER)
        & (area >= MIN_AREA)
        & (area <= MAX_AREA)
        & (bw / bh >= ASPECT[0])
        & (bw / bh <= ASPECT[1])
        & (inside >= 0.03)
    )
    p, q = np.nonzero(ok)
    # One pixel in from an outline (not from the image's edge): a sliver of the frame lost costs
    # less than one of the background kept.
    left = np.where(x0[0, q] > 0, x0[0, q] + 1, 0) / w
    top = np.where(y0[p, 0] > 0, y0[p, 0] + 1, 0) / h
    right = np.where(x1[0, q] < w - 1, x1[0, q], w) / w
    bottom = np.where(y1[p, 0] < h - 1, y1[p, 0], h) / h
    return [
        ((float(l_), float(t_), float(r_), float(b_)), float(s_), "edges")
        for l_, t_, r_, b_, s_ in zip(left, top, right, bottom, score[p, q], strict=True)
    ]


def _prefix(lines: np.ndarray) -> np.ndarray:
    """Running count of edge pixels along each line, with a leading zero."""
    return np.concatenate([np.zeros((lines.shape[0], 1)), np.cumsum(lines, axis=1)], axis=1)


def _cover(prefix: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per line and pair (lo, hi): the share of edge pixels on [lo, hi]."""
    share: np.ndarray = (prefix[:, hi + 1] - prefix[:, lo]) / (hi - lo + 1)
    return share


def _past(prefix: np.ndarray, lo: np.ndarray, hi: np.ndarray, reach: int) -> np.ndarray:
    """Per line and pair (lo, hi): 1 where the line goes on, unbroken, for ``reach`` pixels
    past either end (after a gap of two pixels for the corner), 0 where it stops."""
    n = prefix.shape[1] - 1
    reach = max(3, reach)
    before = prefix[:, np.clip(lo - 2, 0, n)] - prefix[:, np.clip(lo - 2 - reach, 0, n)]
    after = prefix[:, np.clip(hi + 3 + reach, 0, n)] - prefix[:, np.clip(hi + 3, 0, n)]
    share = np.maximum(before, after) / reach
    goes_on: np.ndarray = np.clip((share - 0.5) / 0.4, 0.0, 1.0)
    return goes_on


def _lines(edges: np.ndarray, run: int, axis: int) -> list[int]:
    """Rows (``axis=1``) or columns (``axis=0``) holding a straight run of at least ``run``
    edge pixels (gaps of one pixel bridged), longest first, at most MAX_LINES, four apart."""
    e = edges if axis == 1 else edges.T
    e = e | (np.roll(e, 1, 1) & np.roll(e, -1, 1))
    count = np.cumsum(e, axis=1)
    last_gap = np.maximum.accumulate(np.where(e, 0, count), axis=1)
    longest = (count - last_gap).max(axis=1)
    picked: list[int] = []
    for i in np.argsort(-longest, kind="stable"):
        if longest[i] < run or len(picked) == MAX_LINES:
            break
        if 1 < i < e.shape[0] - 2 and all(abs(int(i) - j) > 3 for j in picked):
            picked.append(int(i))
    return sorted(picked)


def _largest(diff: np.ndarray) -> np.ndarray:
    """The largest absolute difference over the three channels (NumPy's reductions over a
    last axis of three are several times slower than this)."""
    d = np.abs(diff)
    out: np.ndarray = np.maximum(np.maximum(d[..., 0], d[..., 1]), d[..., 2])
    return out


def _integral(mask: np.ndarray) -> np.ndarray:
    out = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1))
    out[1:, 1:] = np.cumsum(np.cumsum(mask, axis=0), axis=1)
    return out


# ----- seams


def _seam_boxes(img: np.ndarray) -> list[tuple[Box, float, str]]:
    """Boxes across the picture's full width (then, transposed, its full height) whose two
    other sides are seams: rows where most pixels change at once, next to rows outside the box
    where few do (a blur, a flat colour; in a textured picture every row changes). The edge
    boxes miss them where the seam is faint in places and the box has two sides nobody can
    see. Scored by how much more of each seam than of the rows beyond it is edge."""
    out = []
    for across in (True, False):
        lines = img if across else img.transpose(1, 0, 2)
        count, length = lines.shape[:2]
        jump = np.zeros(count)
        jump[1:-1] = (_largest(lines[2:] - lines[:-2]) > EDGE_LEVEL).mean(axis=1)
        # the share of edge in the rows SEAM_BEYOND away, above (for a top) and below (a bottom)
        sums = np.concatenate([[0.0], np.cumsum(jump)])
        rows = np.arange(count)
        near, far = SEAM_BEYOND
        up_lo, up_hi = np.clip(rows - far, 0, count), np.clip(rows - near + 1, 0, count)
        down_lo, down_hi = np.clip(rows + near, 0, count), np.clip(rows + far + 1, 0, count)
        above = (sums[up_hi] - sums[up_lo]) / np.maximum(up_hi - up_lo, 1)
        below = (sums[down_hi] - sums[down_lo]) / np.maximum(down_hi - down_lo, 1)
        top, bottom = jump - above, jump - below
        for aspect in SEAM_ASPECTS:
            shaped = round(length / aspect if across else length * aspect)
            if shaped > count - 6:
                continue  # the frame would fill the picture, which was searched whole
            # The far seam may be SEAM_SLACK off the frame's shape (the work copy's rounding, a
            # frame not quite 16:9). A seam shows in two rows of centred differences: of equal
            # covers, the outer rows (the larger box) are taken.
            pairs = [
                (float(top[a] + bottom[a + size]) / 2, size, -a)
                for size in range(shaped - SEAM_SLACK, shaped + SEAM_SLACK + 1)
                for a in range(1, count - size - 1)
            ]
            cover, size, start = max(pairs)
            start = -start
            if cover < SEAM_COVER:
                continue
            lo, hi = (start + 1) / count, (start + size) / count
            box = (0.0, lo, 1.0, hi) if across else (lo, 0.0, hi, 1.0)
            if MIN_AREA <= (hi - lo) <= MAX_AREA:
                out.append((box, cover, "seams"))
    return out


# ----- bands


def _band_boxes(
    img: np.ndarray, horiz: np.ndarray, vert: np.ndarray
) -> list[tuple[Box, float, str]]:
    h, w = img.shape[:2]
    blocks: list[tuple[int, int, int, int]] = []
    _xy_cut(img, (0, 0, w, h), axis=0, depth=3, out=blocks, least=MIN_AREA * w * h)
    out = []
    for x0, y0, x1, y1 in blocks:
        bw, bh = x1 - x0, y1 - y0
        if _plausible(bw, bh) and MIN_AREA <= bw * bh / (w * h) <= MAX_AREA:
            score = BAND_SCORE
            if _framed_shape(bw, bh):
                score = max(score, _clean_sides(horiz, vert, (x0, y0, x1, y1)))
            if score > BAND_SCORE:  # one pixel in from a side inside the picture, as edges do
                x0, y0 = x0 + (x0 > 0), y0 + (y0 > 0)
                x1, y1 = x1 - (x1 < w), y1 - (y1 < h)
            out.append(((x0 / w, y0 / h, x1 / w, y1 / h), score, "bands"))
    return out


def _framed_shape(bw: float, bh: float) -> bool:
    """A box of ``bw`` x ``bh`` pixels has the shape of a whole frame (FRAME_ASPECTS), not
    just of some part of a picture cut where a row of it happened to be of one colour."""
    return any(abs(bw / bh / aspect - 1) <= SHAPE_TOL for aspect in FRAME_ASPECTS)


def _clean_sides(horiz: np.ndarray, vert: np.ndarray, block: tuple[int, int, int, int]) -> float:
    """The least share of edge along a block's sides inside the picture (0 where it has none):
    a picture set on a plain ground is edge all round, a block holding a title line above the
    frame is not along the title's side."""
    x0, y0, x1, y1 = block
    h, w = horiz.shape
    covers = []
    if y0 > 0:
        covers.append(horiz[max(0, y0 - 1) : y0 + 1, x0:x1].any(axis=0).mean())
    if y1 < h:
        covers.append(horiz[y1 - 1 : y1 + 1, x0:x1].any(axis=0).mean())
    if x0 > 0:
        covers.append(vert[y0:y1, max(0, x0 - 1) : x0 + 1].any(axis=1).mean())
    if x1 < w:
        covers.append(vert[y0:y1, x1 - 1 : x1 + 1].any(axis=1).mean())
    return float(min(covers)) if covers else 0.0


def _xy_cut(
    img: np.ndarray,
    box: tuple[int, int, int, int],
    axis: int,
    depth: int,
    out: list[tuple[int, int, int, int]],
    least: float,
) -> None:
    """Split ``box`` into the runs of non-uniform rows (``axis=0``) or columns between uniform
    ones, record each of at least ``least`` pixels, and cut those again along the other axis."""
    x0, y0, x1, y1 = box
    part = img[y0:y1, x0:x1]
    lines = part if axis == 0 else part.transpose(1, 0, 2)
    if lines.shape[0] < 4 or lines.shape[1] < 4:
        return
    # The line's colour: the median of a few pixels spread along it (a full median per line
    # costs more than the rest of the proposer together).
    picks = np.linspace(0, lines.shape[1] - 1, min(lines.shape[1], 15)).astype(int)
    median = np.median(lines[:, picks], axis=1, keepdims=True)
    same = (_largest(lines - median) <= UNIFORM_TOL).mean(axis=1)
    busy = same < UNIFORM_SHARE
    for a, b in _runs(busy):
        sub = (x0, y0 + a, x1, y0 + b) if axis == 0 else (x0 + a, y0, x0 + b, y1)
        if (sub[2] - sub[0]) * (sub[3] - sub[1]) < least:
            continue  # a line of text, an icon: nothing in it is worth an embedding
        if sub != box:
            out.append(sub)
        if depth > 1:
            _xy_cut(img, sub, 1 - axis, depth - 1, out, least)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True in ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


# ----- fixed


def _fixed_boxes(h: int, w: int) -> list[tuple[Box, float, str]]:
    """A portrait screenshot's player: 16:9 across the full width, below a status bar or in the
    middle of the screen."""
    if h < 1.2 * w:
        return []
    band = w * 9 / 16 / h
    out = []
    for top, score in ((0.055, 0.4), ((1 - band) / 2, 0.35)):
        out.append(((0.0, top, 1.0, top + band), score, "fixed"))
    return out


# ----- boxes


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _to_pixels(box: Box, score: float, source: str, w: int, h: int) -> Region:
    x0, y0 = round(box[0] * w), round(box[1] * h)
    x1, y1 = round(box[2] * w), round(box[3] * h)
    x0, y0 = min(max(0, x0), w - 1), min(max(0, y0), h - 1)
    return Region(x0, y0, max(x0 + 1, min(w, x1)), max(y0 + 1, min(h, y1)), score, source)
