"""Pictures with a video frame inside them, built at a known place: a frame pasted small into a
photo-like picture, a portrait phone screenshot of an app playing it, a post shared as a
picture, a comparison meme, a re-upload at another shape over its own blurred copy, a photo of
a monitor taken at an angle."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), pixels


def photo_like(w: int, h: int, seed: int = 0) -> np.ndarray:
    """A picture with no straight borders of its own: smooth blotches of colour, a few round
    shapes and sensor-like noise."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    img = Image.fromarray(coarse).resize((w, h), Image.Resampling.BICUBIC)
    d = ImageDraw.Draw(img)
    for _ in range(8):
        x, y, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(20, w // 6))
        d.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    noisy = np.asarray(img, np.float32) + rng.normal(0, 10, (h, w, 3))
    return np.clip(noisy, 0, 255).astype(np.uint8)


def paste(
    frame: np.ndarray, canvas: np.ndarray, width_share: float, at: tuple[float, float]
) -> tuple[np.ndarray, Box]:
    """``frame`` scaled to ``width_share`` of the canvas width and pasted with its top-left
    corner at ``at`` (shares of the canvas width and height); the picture and the box."""
    h, w = canvas.shape[:2]
    pw = round(w * width_share)
    ph = round(frame.shape[0] * pw / frame.shape[1])
    pic = np.asarray(Image.fromarray(frame).resize((pw, ph), Image.Resampling.BICUBIC))
    x, y = round(at[0] * (w - pw)), round(at[1] * (h - ph))
    out = canvas.copy()
    out[y : y + ph, x : x + pw] = pic
    return out, (x, y, x + pw, y + ph)


def phone_screenshot(frame: np.ndarray, *, dark: bool = False) -> tuple[np.ndarray, Box]:
    """A 1080x2340 app screen: status bar, the frame across the full width under it, a title
    and a list of comments (avatars and lines of text) below; the picture and the frame's box."""
    W, H = 1080, 2340
    bg, fg = ((18, 18, 18), (235, 235, 235)) if dark else ((255, 255, 255), (30, 30, 30))
    img = Image.new("RGB", (W, H), bg)
    d = ImageDraw.Draw(img)
    d.text((60, 40), "12:34", fill=fg, font_size=44)
    d.rectangle((W - 150, 40, W - 70, 74), outline=fg, width=4)
    ph = round(frame.shape[0] * W / frame.shape[1])
    y0 = 128
    img.paste(Image.fromarray(frame).resize((W, ph), Image.Resampling.BICUBIC), (0, y0))
    y = y0 + ph + 30
    d.text((40, y), "Watch the best moment again", fill=fg, font_size=46)
    rng = np.random.default_rng(1)
    for i in range(8):
        cy = y + 140 + i * 190
        d.ellipse((40, cy, 130, cy + 90), fill=tuple(int(v) for v in rng.integers(60, 230, 3)))
        d.text((160, cy), f"@viewer_{i}", fill=(128, 128, 128), font_size=32)
        d.text((160, cy + 46), "this scene gets me every time", fill=fg, font_size=38)
    return np.asarray(img), (0, y0, W, y0 + ph)


def post_card(frame: np.ndarray, share: float = 0.8) -> tuple[np.ndarray, Box]:
    """A post shared as a picture: a dark 1080-wide card with an avatar, a name and a line of
    text above the frame, which fills ``share`` of its width; the picture and the frame's box."""
    W, top = 1080, 220
    pw = round(W * share)
    ph = round(frame.shape[0] * pw / frame.shape[1])
    img = Image.new("RGB", (W, top + ph + 100), (21, 32, 43))
    d = ImageDraw.Draw(img)
    x = (W - pw) // 2
    d.ellipse((x, 30, x + 90, 120), fill=(200, 80, 120))
    d.text((x + 110, 40), "@clips", fill=(231, 233, 234), font_size=34)
    d.text((x, 140), "Watch the best moment again", fill=(231, 233, 234), font_size=36)
    img.paste(Image.fromarray(frame).resize((pw, ph), Image.Resampling.BICUBIC), (x, top))
    return np.asarray(img), (x, top, x + pw, top + ph)


def side_by_side(
    frame: np.ndarray, other: np.ndarray, gap: int, colour: int, *, left: bool = True
) -> tuple[np.ndarray, Box]:
    """A comparison meme: ``frame`` beside ``other`` scaled to its size, a ``gap`` pixels wide
    band of grey level ``colour`` between them, the frame on the left or the right; the picture
    and the frame's box."""
    h, w = frame.shape[:2]
    beside = np.asarray(Image.fromarray(other).resize((w, h), Image.Resampling.BICUBIC))
    out = np.full((h, 2 * w + gap, 3), colour, np.uint8)
    x = 0 if left else w + gap
    out[:, x : x + w] = frame
    out[:, w + gap - x : 2 * w + gap - x] = beside
    return out, (x, 0, x + w, h)


def over_its_blur(
    frame: np.ndarray, size: tuple[int, int], shift: int = 0, dim: float = 0.6
) -> tuple[np.ndarray, Box]:
    """``frame`` re-uploaded at another shape (``size``, width x height): laid across the full
    width of a taller picture (across the full height of a wider one), ``shift`` pixels from
    the middle, over an enlarged, blurred copy of itself darkened to ``dim``; the picture and
    the frame's box."""
    from PIL import ImageFilter

    W, H = size
    img = Image.fromarray(frame)
    cover = max(W / img.width, H / img.height)
    big = img.resize((round(img.width * cover), round(img.height * cover)))
    x, y = (big.width - W) // 2, (big.height - H) // 2
    ground = big.crop((x, y, x + W, y + H)).filter(ImageFilter.GaussianBlur(24))
    out = np.asarray(ground, np.float32) * dim
    fit = min(W / img.width, H / img.height)
    pw, ph = round(img.width * fit), round(img.height * fit)
    x0, y0 = (W - pw) // 2, (H - ph) // 2
    x0, y0 = (x0, y0 + shift) if pw == W else (x0 + shift, y0)
    out[y0 : y0 + ph, x0 : x0 + pw] = np.asarray(img.resize((pw, ph), Image.Resampling.BICUBIC))
    return out.astype(np.uint8), (x0, y0, x0 + pw, y0 + ph)


def screen_photo(
    frame: np.ndarray, corners: tuple[tuple[float, float], ...], size: tuple[int, int] = (1280, 960)
) -> np.ndarray:
    """A monitor showing ``frame`` photographed at an angle: the frame with a dark bezel, warped
    so the bezel's outside lands on ``corners`` (TL, TR, BR, BL, pixels of the photo), over a
    photo-like background, with a soft glare and sensor noise."""
    from sabi.prepare.screens import perspective_coefficients

    h, w = frame.shape[:2]
    bezel = max(6, w // 40)
    monitor = Image.new("RGB", (w + 2 * bezel, h + 2 * bezel), (22, 22, 24))
    monitor.paste(Image.fromarray(frame), (bezel, bezel))
    mw, mh = monitor.size
    src = [(0.0, 0.0), (float(mw), 0.0), (float(mw), float(mh)), (0.0, float(mh))]
    coeffs = perspective_coefficients(list(corners), src)
    warped = monitor.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", monitor.size, 255).transform(size, Image.Transform.PERSPECTIVE, coeffs)
    photo = Image.fromarray(photo_like(*size, seed=3))
    photo.paste(warped, (0, 0), mask)
    rng = np.random.default_rng(4)
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float32)
    glare = 40 * np.exp(
        -((xx - 0.7 * size[0]) ** 2 + (yy - 0.3 * size[1]) ** 2) / (0.08 * size[0] ** 2)
    )
    out = np.asarray(photo, np.float32) + glare[..., None] + rng.normal(0, 4, (size[1], size[0], 3))
    return np.clip(out, 0, 255).astype(np.uint8)


def iou(a: Box | tuple[float, ...], b: Box | tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0
