"""A screen photographed at an angle: find its four corners and look at it straight on.

A phone photo of a monitor or a TV shows the frame as a quadrilateral, not a box: the box
proposals (sabi.prepare.regions) look for level, straight outlines and miss it, and the whole
photo matches the frame only weakly (background, bezel, keystone), which the search then answers
as "probably not in the library". This finds the screen's outline and warps it back to a
rectangle, which is then searched like a box.

How: on a copy about WORK_SIDE pixels on its long side, strong gradients vote for straight
lines (a Hough transform restricted to lines within TILT degrees of level or upright, each pixel
voting only for lines across its own gradient). The strongest near-level and near-upright
lines are paired into quadrilaterals; one is kept when its four sides are mostly edge
(MIN_COVER), it covers enough of the photo, its straightened shape is a video's (width/height
1.2-2.5), and it is tilted (a level box is the box proposals' job). Cost: ~20 ms on a phone
photo; the searcher only asks for it when the whole photo's answer is not already a clear one.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from PIL import Image

WORK_SIDE = 320  # long side of the copy the lines are looked for on
TILT = 20  # degrees from level/upright a screen's side may lean
EDGE_SHARE = 0.12  # the strongest share of gradients that vote
MIN_SIDE = 0.2  # a side at least this share of the photo's matching dimension
LINES = 6  # strongest lines kept per direction
MIN_COVER = 0.65  # share of the outline that must lie on strong gradients
MIN_AREA = 0.12  # share of the photo the screen must cover (and at most MAX_AREA)
MAX_AREA = 0.97
ASPECT = (1.2, 2.5)  # width/height of the straightened screen
MIN_LEAN = 0.01  # corners off a level box by less than this share of its size: a box
OUT_SIDE = 640  # long side of the straightened picture
INSET = 0.03  # share of each side left out of the straightened picture


@dataclass(frozen=True)
class Screen:
    """Corners in the photo's pixels (top-left, top-right, bottom-right, bottom-left) and the
    share of the outline found on strong gradients."""

    corners: tuple[tuple[float, float], ...]
    score: float
    source: str = "screen"

    def crop(self, rgb: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """The screen straightened: warped so its corners become a rectangle's, with
        ``margin`` of its size more of the photo each side (``exact`` looks for the frame in
        such a wider copy: the outline found can be a few pixels off the frame's edges)."""
        (tl, tr, br, bl) = np.array(self.corners)
        width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
        height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
        scale = OUT_SIDE / max(width, height)
        size = (max(16, round(width * scale)), max(16, round(height * scale)))
        # a few per cent in from the outline: the bezel, if the outline found is its outside
        iw, ih = INSET * size[0], INSET * size[1]
        dx, dy = round(margin * size[0]), round(margin * size[1])
        out = [(-iw, -ih), (size[0] + iw, -ih), (size[0] + iw, size[1] + ih), (-iw, size[1] + ih)]
        out = [(x + dx, y + dy) for x, y in out]
        size = (size[0] + 2 * dx, size[1] + 2 * dy)
        img = Image.fromarray(np.ascontiguousarray(rgb[..., :3]))
        warped = img.transform(
            size,
            Image.Transform.PERSPECTIVE,
            perspective_coefficients(out, [tuple(c) for c in (tl, tr, br, bl)]),
            Image.Resampling.BICUBIC,
        )
        return np.asarray(warped)


def find_screens(rgb: np.ndarray, limit: int = 2) -> list[Screen]:
    """Up to ``limit`` tilted screen outlines in ``rgb``, best first."""
    h, w = rgb.shape[:2]
    if limit <= 0 or min(h, w) < 32:
        return []
    factor = max(1, -(-max(h, w) // WORK_SIDE))
    grey = np.asarray(
        Image.fromarray(np.ascontiguousarray(rgb[..., :3])).convert("L").reduce(factor),
        np.float32,
    )
    gy, gx = (np.asarray(g, np.float32) for g in np.gradient(grey))
    mag = np.hypot(gx, gy)
    strong = mag >= max(8.0, float(np.quantile(mag, 1 - EDGE_SHARE)))
    level = _lines(strong, gx, gy, upright=False)
    upright = _lines(strong, gx, gy, upright=True)
    wide = _widen(mag >= 0.5 * max(8.0, float(np.quantile(mag, 1 - EDGE_SHARE))))
    gh, gw = grey.shape
    found: list[Screen] = []
    level.sort(key=lambda line: line[1])  # top to bottom, left to right (normals point down/right)
    upright.sort(key=lambda line: line[1])
    crossings = {(i, j): _cross(a, b) for i, a in enumerate(level) for j, b in enumerate(upright)}
    for top, bottom in combinations(range(len(level)), 2):
        for left, right in combinations(range(len(upright)), 2):
            ends = [(top, left), (top, right), (bottom, right), (bottom, left)]
            quad = [c for c in (crossings[e] for e in ends) if c is not None]
            if len(quad) < 4 or not _plausible(quad, gw, gh):
                continue
            cover = _cover(wide, quad)
            if cover >= MIN_COVER:
                found.append(Screen(tuple((x * factor, y * factor) for x, y in quad), cover))
    found.sort(key=lambda s: s.score, reverse=True)
    kept: list[Screen] = []
    for s in found:
        if all(_distance(s, k) > 0.05 * max(w, h) for k in kept):
            kept.append(s)
        if len(kept) == limit:
            break
    return kept


Line = tuple[float, float]  # (theta, rho): x cos(theta) + y sin(theta) = rho


def _lines(strong: np.ndarray, gx: np.ndarray, gy: np.ndarray, upright: bool) -> list[Line]:
    """The LINES strongest lines of one direction, each pixel voting across its gradient."""
    ys, xs = np.nonzero(strong)
    if not len(xs):
        return []
    normal = np.degrees(np.arctan2(gy[ys, xs], gx[ys, xs])) % 180  # the gradient's direction
    centre = 0.0 if upright else 90.0  # an upright line's normal is level, and vice versa
    facing = np.abs((normal - centre + 90) % 180 - 90) <= TILT + 12
    xs, ys, normal = xs[facing].astype(np.float32), ys[facing].astype(np.float32), normal[facing]
    thetas = np.arange(centre - TILT, centre + TILT + 1, 1.0)
    diag = int(np.hypot(*strong.shape)) + 1
    width = 2 * diag + 1
    # every (angle, pixel) pair at once: a pixel votes at the angles near its gradient's
    near = np.abs((normal[None, :] - thetas[:, None] + 90) % 180 - 90) <= 12
    rad = np.radians(thetas)[:, None]
    rho = np.round(xs[None, :] * np.cos(rad) + ys[None, :] * np.sin(rad)).astype(np.int64)
    cells = (np.arange(len(thetas))[:, None] * width + rho + diag)[near]
    votes = np.bincount(cells, minlength=len(thetas) * width).reshape(len(thetas), width)
    size = strong.shape[0] if upright else strong.shape[1]
    lines: list[Line] = []
    flat = votes.astype(np.float32)
    while len(lines) < LINES:
        peak = np.unravel_index(int(np.argmax(flat)), flat.shape)
        i, j = int(peak[0]), int(peak[1])
        if flat[i, j] < MIN_SIDE * size:
            break
        lines.append((float(np.radians(thetas[i])), float(j - diag)))
        flat[max(0, i - 4) : i + 5, max(0, j - 6) : j + 7] = 0  # the same line, once
    return lines


def _cross(a: Line, b: Line) -> tuple[float, float] | None:
    m = np.array([[np.cos(a[0]), np.sin(a[0])], [np.cos(b[0]), np.sin(b[0])]])
    if abs(np.linalg.det(m)) < 1e-6:
        return None
    x, y = np.linalg.solve(m, [a[1], b[1]])
    return float(x), float(y)


def _plausible(quad: list[tuple[float, float]], w: int, h: int) -> bool:
    """Inside the photo, big enough, a video's shape once straightened, and tilted."""
    if any(not (-1 <= x <= w and -1 <= y <= h) for x, y in quad):
        return False
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    area = 0.5 * abs(
        (x0 * y1 - x1 * y0) + (x1 * y2 - x2 * y1) + (x2 * y3 - x3 * y2) + (x3 * y0 - x0 * y3)
    )
    if not MIN_AREA * w * h <= area <= MAX_AREA * w * h:
        return False
    width = (np.hypot(x1 - x0, y1 - y0) + np.hypot(x2 - x3, y2 - y3)) / 2
    height = (np.hypot(x3 - x0, y3 - y0) + np.hypot(x2 - x1, y2 - y1)) / 2
    if height <= 0 or not ASPECT[0] <= width / height <= ASPECT[1]:
        return False
    lean = max(abs(x0 - x3), abs(x1 - x2), abs(y0 - y1), abs(y3 - y2))
    return bool(lean > MIN_LEAN * max(width, height))


def _widen(edges: np.ndarray) -> np.ndarray:
    """``edges`` grown by a pixel each way: an outline may be a pixel off a fitted line."""
    near = edges.copy()
    near[1:] |= edges[:-1]
    near[:-1] |= edges[1:]
    near[:, 1:] |= edges[:, :-1]
    near[:, :-1] |= edges[:, 1:]
    return near


_ALONG = np.linspace(0.05, 0.95, 40)[None, :, None]  # where the outline is read, per side


def _cover(near: np.ndarray, quad: list[tuple[float, float]]) -> float:
    """Share of points along the outline (a little inside the corners) on strong gradients."""
    h, w = near.shape
    pts = np.array(quad)
    start, end = pts[:, None, :], pts[[1, 2, 3, 0]][:, None, :]
    along = (start + _ALONG * (end - start)).reshape(-1, 2)
    xs = np.clip(np.round(along[:, 0]).astype(int), 0, w - 1)
    ys = np.clip(np.round(along[:, 1]).astype(int), 0, h - 1)
    return float(near[ys, xs].mean())


def _distance(a: Screen, b: Screen) -> float:
    return float(np.abs(np.array(a.corners) - np.array(b.corners)).max())


def perspective_coefficients(
    out: list[tuple[float, float]], src: list[tuple[float, float]]
) -> tuple[float, ...]:
    """Pillow's PERSPECTIVE coefficients: each output corner maps to a source corner."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(out, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return tuple(float(c) for c in np.linalg.solve(np.array(rows, float), np.array(rhs, float)))
