"""Screenshot edits as people really make them: one family per way a frame gets changed.

One module, no dependency beyond Pillow and NumPy, so a test set can reuse it::

    from bench.edits import EDITS, query_bytes
    data = query_bytes("subtitles", rgb, seed=1, index=0)   # PNG bytes of the edited frame

Every edit takes the frame (a PIL image, any size) and a NumPy random generator and returns the
edited image; ``EDITS[name].encode`` turns it into the bytes a person would upload (PNG unless the
family is about the file format). Randomness comes only from the generator, and
``family_rng(seed, family, index)`` derives it from the family's name, so adding a family never
changes the queries of another.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

from sabi.prepare.screens import perspective_coefficients

Rng = np.random.Generator
EditFn = Callable[[Image.Image, Rng], Image.Image]


@dataclass(frozen=True)
class Edit:
    name: str
    group: str
    description: str
    apply: EditFn
    fmt: str = "PNG"
    save: dict[str, Any] = field(default_factory=lambda: {"compress_level": 1})

    def encode(self, img: Image.Image) -> bytes:
        buf = io.BytesIO()
        img.save(buf, self.fmt, **self.save)
        return buf.getvalue()


# ----- helpers


@cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font (FreeType, scalable since Pillow 10.1): no system fonts needed."""
    return ImageFont.load_default(size=max(8, int(size)))


_TEXT = (
    "the you what where why now never always again wait look this that we are going to be "
    "fine i told it was not my fault come back here please stop dont leave me behind sorry "
    "thank you so much everyone tomorrow tonight finally listen run faster hold on together"
)
_WORDS = tuple(_TEXT.split())
_CHANNELS = ("@AnimeClips", "AMV STUDIO", "TV-A1", "@kawaii_edits", "NIJI TV", "SubsPlease")


def _sentence(rng: Rng, words: tuple[int, int] = (4, 8)) -> str:
    n = int(rng.integers(words[0], words[1] + 1))
    text = " ".join(rng.choice(_WORDS, n))
    return text[:1].upper() + text[1:]


def _rgb(img: Image.Image) -> Image.Image:
    return img if img.mode == "RGB" else img.convert("RGB")


def _colour(rng: Rng, lo: int = 0, hi: int = 256) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in rng.integers(lo, hi, 3))
    return r, g, b


def _text_centered(
    draw: ImageDraw.ImageDraw,
    cx: float,
    y: float,
    text: str,
    size: int,
    fill: Any,
    stroke: int = 0,
    stroke_fill: Any = "black",
) -> int:
    f = font(size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=f, stroke_width=stroke)
    draw.text(
        (cx - (right - left) / 2, y - top),
        text,
        font=f,
        fill=fill,
        stroke_width=stroke,
        stroke_fill=stroke_fill,
    )
    return round(bottom - top)


def _fit(img: Image.Image, width: int) -> Image.Image:
    height = max(1, round(img.height * width / img.width))
    return img.resize((width, height), Image.Resampling.BICUBIC)


# ----- quality


def none(img: Image.Image, rng: Rng) -> Image.Image:
    return _rgb(img)


def jpeg30(img: Image.Image, rng: Rng) -> Image.Image:
    return _rgb(img)  # the loss is in the encoding (quality 30)


def down320(img: Image.Image, rng: Rng) -> Image.Image:
    return _fit(_rgb(img), 320)


def down160(img: Image.Image, rng: Rng) -> Image.Image:
    return _fit(_rgb(img), 160)


def gif(img: Image.Image, rng: Rng) -> Image.Image:
    return _rgb(img).quantize(
        256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG
    )


# ----- borders and frames


def letterbox(img: Image.Image, rng: Rng) -> Image.Image:
    """Black bars above and below: the picture on a 4:3 or square canvas."""
    img = _rgb(img)
    aspect = float(rng.choice([4 / 3, 1.0]))
    h = max(img.height + 2, round(img.width / aspect))
    canvas = Image.new("RGB", (img.width, h), (0, 0, 0))
    canvas.paste(img, (0, (h - img.height) // 2))
    return canvas


def pillarbox(img: Image.Image, rng: Rng) -> Image.Image:
    """Black bars left and right: the picture on a 21:9 or 2:1 canvas."""
    img = _rgb(img)
    aspect = float(rng.choice([21 / 9, 2.0]))
    w = max(img.width + 2, round(img.height * aspect))
    canvas = Image.new("RGB", (w, img.height), (0, 0, 0))
    canvas.paste(img, ((w - img.width) // 2, 0))
    return canvas


def player(img: Image.Image, rng: Rng) -> Image.Image:
    """A desktop player window: grey title bar, the picture, a control bar with a seek bar."""
    pic = _fit(_rgb(img), int(rng.choice([960, 1280])))
    w, h = pic.size
    title_h, bar_h = max(18, h // 24), max(28, h // 13)
    grey = int(rng.integers(32, 64))
    canvas = Image.new("RGB", (w, h + title_h + bar_h), (grey, grey, grey + 4))
    canvas.paste(pic, (0, title_h))
    d = ImageDraw.Draw(canvas)
    d.text(
        (10, title_h * 0.15),
        f"{_sentence(rng, (2, 4))}.mkv - Player",
        font=font(title_h * 0.7),
        fill=(220, 220, 220),
    )
    y0 = h + title_h
    accent = _colour(rng, 120, 256)
    d.rectangle((10, y0 + bar_h * 0.2, w - 10, y0 + bar_h * 0.3), fill=(110, 110, 110))
    done = 10 + (w - 20) * float(rng.uniform(0.05, 0.95))
    d.rectangle((10, y0 + bar_h * 0.2, done, y0 + bar_h * 0.3), fill=accent)
    cy = y0 + bar_h * 0.65
    s = bar_h * 0.18
    d.polygon([(16, cy - s), (16, cy + s), (16 + 1.6 * s, cy)], fill=(230, 230, 230))
    minutes = int(rng.integers(0, 23))
    d.text(
        (60, cy - s * 1.2),
        f"{minutes:02d}:{int(rng.integers(0, 60)):02d} / 23:40",
        font=font(s * 2.2),
        fill=(220, 220, 220),
    )
    return canvas


def browser(img: Image.Image, rng: Rng) -> Image.Image:
    """A browser window: tab strip, address bar, a white page with the video embedded in it."""
    W, H = 1366, 768
    light = int(rng.integers(218, 240))
    canvas = Image.new("RGB", (W, H), (255, 255, 255))
    d = ImageDraw.Draw(canvas)
    d.rectangle((0, 0, W, 34), fill=(light, light + 2, light + 6))
    d.rounded_rectangle((8, 4, 240, 34), 8, fill=(255, 255, 255))
    d.text((20, 10), _sentence(rng, (2, 3))[:24], font=font(14), fill=(40, 40, 40))
    d.rectangle((0, 34, W, 76), fill=(250, 250, 250))
    d.rounded_rectangle((90, 40, W - 120, 70), 14, fill=(light, light + 2, light + 6))
    d.text(
        (110, 47),
        "https://video.example.com/watch?v=" + "".join(rng.choice(list("abcdefXYZ0123"), 11)),
        font=font(15),
        fill=(60, 60, 60),
    )
    pic_w = int(rng.integers(760, 900))
    pic = _fit(_rgb(img), pic_w)
    x0, y0 = int(rng.integers(16, 60)), int(rng.integers(92, 120))
    canvas.paste(pic, (x0, y0))
    y = y0 + pic.height + 14
    d.text((x0, y), _sentence(rng, (4, 7)), font=font(22), fill=(15, 15, 15))
    d.text(
        (x0, y + 34), f"{int(rng.integers(1000, 900000)):,} views", font=font(15), fill=(96, 96, 96)
    )
    rx = x0 + pic_w + 24
    for i in range(6):  # the recommendations column: thumbnails and titles
        ty = y0 + i * 100
        d.rectangle((rx, ty, rx + 160, ty + 90), fill=_colour(rng, 40, 220))
        d.text((rx + 170, ty + 4), _sentence(rng, (2, 4))[:22], font=font(15), fill=(20, 20, 20))
    return canvas


def phone(img: Image.Image, rng: Rng) -> Image.Image:
    """A portrait phone screenshot: status bar, the video across the top, the app below it."""
    W, H = 1080, 2340
    dark = bool(rng.integers(0, 2))
    bg, fg = ((15, 15, 15), (240, 240, 240)) if dark else ((255, 255, 255), (20, 20, 20))
    canvas = Image.new("RGB", (W, H), bg)
    d = ImageDraw.Draw(canvas)
    d.text(
        (60, 30),
        f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}",
        font=font(44),
        fill=fg,
    )
    d.rounded_rectangle((W - 150, 38, W - 70, 74), 8, outline=fg, width=4)
    d.rectangle((W - 146, 42, W - 146 + int(rng.integers(20, 72)), 70), fill=fg)
    for i in range(4):
        d.rectangle((W - 260 + i * 18, 74 - 10 * (i + 1), W - 248 + i * 18, 74), fill=fg)
    pic = _fit(_rgb(img), W)
    y0 = int(rng.integers(110, 150))
    canvas.paste(pic, (0, y0))
    y = y0 + pic.height + 30
    d.text((40, y), _sentence(rng, (4, 7)), font=font(46), fill=fg)
    for i in range(8):  # comments
        cy = y + 140 + i * 190
        d.ellipse((40, cy, 130, cy + 90), fill=_colour(rng, 60, 230))
        d.text(
            (160, cy),
            "@" + "".join(rng.choice(list("abcdefghijk_123"), 9)),
            font=font(32),
            fill=(128, 128, 128),
        )
        d.text((160, cy + 46), _sentence(rng, (3, 6))[:34], font=font(38), fill=fg)
    return canvas


# ----- text and logos


def subtitles(img: Image.Image, rng: Rng) -> Image.Image:
    """Two lines of white text with a black outline near the bottom."""
    img = _rgb(img).copy()
    d = ImageDraw.Draw(img)
    size = round(img.height * float(rng.uniform(0.05, 0.065)))
    colour = (255, 255, 255) if rng.random() < 0.8 else (255, 240, 120)
    lines = [_sentence(rng, (4, 7)), _sentence(rng, (3, 7))]
    y = img.height * 0.94 - 2 * size * 1.25
    for line in lines:
        _text_centered(d, img.width / 2, y, line, size, colour, stroke=max(2, size // 12))
        y += size * 1.25
    return img


def caption(img: Image.Image, rng: Rng) -> Image.Image:
    """Meme text (big outlined capitals at top and bottom) or a white caption band on top."""
    img = _rgb(img)
    if rng.random() < 0.5:
        img = img.copy()
        d = ImageDraw.Draw(img)
        size = round(img.height * float(rng.uniform(0.1, 0.14)))
        top, bottom = _sentence(rng, (2, 4)).upper(), _sentence(rng, (2, 4)).upper()
        _text_centered(d, img.width / 2, img.height * 0.04, top, size, "white", max(3, size // 10))
        _text_centered(
            d, img.width / 2, img.height * 0.96 - size, bottom, size, "white", max(3, size // 10)
        )
        return img
    band = round(img.height * float(rng.uniform(0.25, 0.4)))
    canvas = Image.new("RGB", (img.width, img.height + band), (255, 255, 255))
    canvas.paste(img, (0, band))
    d = ImageDraw.Draw(canvas)
    size = round(band / 3.2)
    _text_centered(d, img.width / 2, band * 0.15, _sentence(rng, (3, 6)), size, (0, 0, 0))
    _text_centered(
        d, img.width / 2, band * 0.15 + size * 1.3, _sentence(rng, (3, 6)), size, (0, 0, 0)
    )
    return canvas


def logo(img: Image.Image, rng: Rng) -> Image.Image:
    """A channel logo/watermark in a corner, semi-transparent."""
    img = _rgb(img).convert("RGBA")
    text = str(rng.choice(_CHANNELS))
    size = round(img.height * float(rng.uniform(0.045, 0.075)))
    f = font(size)
    tw = int(ImageDraw.Draw(img).textlength(text, font=f))
    pad = size // 3
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    margin = round(img.height * 0.04)
    x = margin if rng.random() < 0.5 else img.width - margin - tw - 2 * pad
    y = margin if rng.random() < 0.6 else img.height - margin - size - 2 * pad
    alpha = int(rng.uniform(0.55, 0.9) * 255)
    if rng.random() < 0.5:  # a filled badge
        d.rounded_rectangle(
            (x, y, x + tw + 2 * pad, y + size + 2 * pad), pad, fill=(*_colour(rng, 0, 200), alpha)
        )
    d.text((x + pad, y + pad * 0.6), text, font=f, fill=(255, 255, 255, alpha))
    return Image.alpha_composite(img, layer).convert("RGB")


# ----- crops and geometry


def _crop(img: Image.Image, fw: float, fh: float, fx: float, fy: float) -> Image.Image:
    w, h = round(img.width * fw), round(img.height * fh)
    x, y = round((img.width - w) * fx), round((img.height - h) * fy)
    return _rgb(img).crop((x, y, x + w, y + h))


def crop80(img: Image.Image, rng: Rng) -> Image.Image:
    s = 0.8**0.5
    return _crop(img, s, s, 0.5, 0.5)


def crop50(img: Image.Image, rng: Rng) -> Image.Image:
    s = 0.5**0.5
    return _crop(img, s, s, 0.5, 0.5)


def crop_offcentre(img: Image.Image, rng: Rng) -> Image.Image:
    """About 60 % of the area, pushed towards a random corner."""
    fw, fh = float(rng.uniform(0.7, 0.85)), float(rng.uniform(0.7, 0.85))
    fx, fy = float(rng.choice([0.0, 1.0])), float(rng.choice([0.0, 1.0]))
    return _crop(
        img, fw, fh, abs(fx - float(rng.uniform(0, 0.2))), abs(fy - float(rng.uniform(0, 0.2)))
    )


def strip(img: Image.Image, rng: Rng) -> Image.Image:
    """A 9:16 strip of the frame, its full height, anywhere across it: a re-upload for phones
    cut to their shape with no fill (a pan-and-scan follows the action, so not always the
    middle)."""
    return _crop(img, img.height * 9 / 16 / img.width, 1.0, float(rng.uniform(0, 1)), 0.0)


def flip(img: Image.Image, rng: Rng) -> Image.Image:
    return ImageOps.mirror(_rgb(img))


def stretch(img: Image.Image, rng: Rng) -> Image.Image:
    """The picture's shape changed: squeezed to 4:3, or widened by a third (a re-upload at
    the wrong aspect ratio)."""
    img = _rgb(img)
    share = float(rng.choice([0.75, 4 / 3]))
    return img.resize((round(img.width * share), img.height), Image.Resampling.BICUBIC)


def tilt(img: Image.Image, rng: Rng) -> Image.Image:
    """Turned 2-5 degrees either way, then cut to the largest box of the frame's shape that
    the turned picture fills (an editor's or a handheld camera's tilt)."""
    img = _rgb(img)
    angle = float(rng.uniform(2, 5)) * float(rng.choice([-1.0, 1.0]))
    turned = img.rotate(angle, Image.Resampling.BICUBIC)
    a = np.radians(abs(angle))
    # a w x h box centred in the turned frame stays inside it at this scale
    scale = 1 / (np.cos(a) + np.sin(a) * max(img.width / img.height, img.height / img.width))
    w, h = round(img.width * scale), round(img.height * scale)
    x, y = (img.width - w) // 2, (img.height - h) // 2
    return turned.crop((x, y, x + w, y + h))


# ----- colour


def tone(img: Image.Image, rng: Rng) -> Image.Image:
    """Brightness, contrast and gamma, each pushed up or down."""
    x = np.asarray(_rgb(img), np.float32) / 255.0

    def away(lo: float, hi: float) -> float:
        v = float(rng.uniform(lo, hi))
        return 1 + v if rng.random() < 0.5 else 1 / (1 + v)

    x = x ** away(0.25, 0.6)
    x = (x - 0.5) * away(0.2, 0.4) + 0.5
    x = x * away(0.15, 0.3)
    return Image.fromarray((np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8))


def tint(img: Image.Image, rng: Rng) -> Image.Image:
    """A colour cast: a blend towards a random colour, or sepia."""
    x = np.asarray(_rgb(img), np.float32)
    if rng.random() < 0.3:
        m = np.array(
            [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32
        )
        y = x @ m.T
    else:
        a = float(rng.uniform(0.2, 0.35))
        y = (1 - a) * x + a * np.array(_colour(rng), np.float32)
    return Image.fromarray(np.clip(y + 0.5, 0, 255).astype(np.uint8))


def grey(img: Image.Image, rng: Rng) -> Image.Image:
    return ImageOps.grayscale(_rgb(img))


def blur(img: Image.Image, rng: Rng) -> Image.Image:
    radius = img.width * float(rng.uniform(0.002, 0.004))
    return _rgb(img).filter(ImageFilter.GaussianBlur(radius))


def noise(img: Image.Image, rng: Rng) -> Image.Image:
    x = np.asarray(_rgb(img), np.float32)
    x = x + rng.normal(0, float(rng.uniform(8, 20)), x.shape).astype(np.float32)
    return Image.fromarray(np.clip(x + 0.5, 0, 255).astype(np.uint8))


# ----- composites


def _background(size: tuple[int, int], rng: Rng) -> Image.Image:
    """An unrelated picture: a gradient, shapes and some text."""
    w, h = size
    a, b = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    grad = (1 - t) * a + t * b
    img = Image.fromarray(np.broadcast_to(grad, (h, w, 3)).astype(np.uint8))
    d = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(6, 14))):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(40, w // 2)), y0 + int(rng.integers(40, h // 2))
        shape = d.ellipse if rng.random() < 0.5 else d.rectangle
        shape((x0, y0, x1, y1), fill=_colour(rng))
    for i in range(int(rng.integers(2, 5))):
        d.text(
            (30, 30 + i * 60),
            _sentence(rng),
            font=font(44),
            fill=_colour(rng),
            stroke_width=2,
            stroke_fill="black",
        )
    return img


def pasted(img: Image.Image, rng: Rng) -> Image.Image:
    """The picture, small, pasted into a larger unrelated image (a collage, a forum post)."""
    size = [(1200, 1200), (1080, 1350), (1600, 900)][int(rng.integers(0, 3))]
    canvas = _background(size, rng)
    pic = _fit(_rgb(img), round(size[0] * float(rng.uniform(0.3, 0.45))))
    x = int(rng.integers(0, size[0] - pic.width))
    y = int(rng.integers(0, size[1] - pic.height))
    canvas.paste(pic, (x, y))
    return canvas


def screen_photo(img: Image.Image, rng: Rng) -> Image.Image:
    """A phone photo of a monitor: the picture with a dark bezel seen at an angle (corners
    moved up to 6 % of its width), over a blurred background, with moire, a glare, noise and a
    little blur."""
    pic = _fit(_rgb(img), 900)
    bezel = int(rng.integers(10, 28))
    monitor = Image.new("RGB", (pic.width + 2 * bezel, pic.height + 2 * bezel), (20, 20, 22))
    monitor.paste(pic, (bezel, bezel))
    portrait = rng.random() < 0.4
    size = (1080, 1440) if portrait else (1440, 1080)
    canvas = _background(size, rng).filter(ImageFilter.GaussianBlur(6))
    W, H = size
    width = W * float(rng.uniform(0.85, 0.98) if portrait else rng.uniform(0.7, 0.92))
    height = width * monitor.height / monitor.width
    cx = W / 2 + float(rng.uniform(-0.05, 0.05)) * W
    cy = H / 2 + float(rng.uniform(-0.08, 0.08)) * H
    j = 0.06 * width
    quad = [
        (
            cx + sx * width / 2 + float(rng.uniform(-j, j)),
            cy + sy * height / 2 + float(rng.uniform(-j, j)),
        )
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    ]
    src = [
        (0.0, 0.0),
        (float(monitor.width), 0.0),
        (float(monitor.width), float(monitor.height)),
        (0.0, float(monitor.height)),
    ]
    coeffs = perspective_coefficients(quad, src)
    canvas.paste(
        monitor.transform(size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC),
        (0, 0),
        Image.new("L", monitor.size, 255).transform(size, Image.Transform.PERSPECTIVE, coeffs),
    )
    a = np.asarray(canvas, np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    theta, period = float(rng.uniform(0, np.pi)), float(rng.uniform(3, 7))
    wave = np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / period)
    a *= (1 + float(rng.uniform(0.03, 0.08)) * wave)[..., None]
    gx, gy = float(rng.uniform(0, W)), float(rng.uniform(0, H))
    glare = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * (0.25 * W) ** 2))
    a += float(rng.uniform(30, 80)) * glare[..., None]
    a += rng.normal(0, float(rng.uniform(3, 8)), a.shape)
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return out.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.6, 1.4))))


def card(img: Image.Image, rng: Rng) -> Image.Image:
    """A post shared as a picture: a flat light or dark card, an avatar, a name and a line of
    text above the frame, which fills 80-92 % of the card's width."""
    dark = rng.random() < 0.5
    ground = (21, 32, 43) if dark else (255, 255, 255)
    ink = (231, 233, 234) if dark else (15, 20, 25)
    width = 1080
    pic = _fit(_rgb(img), round(width * float(rng.uniform(0.8, 0.92))))
    margin = (width - pic.width) // 2
    top = int(rng.integers(180, 300))
    canvas = Image.new("RGB", (width, top + pic.height + int(rng.integers(60, 160))), ground)
    d = ImageDraw.Draw(canvas)
    d.ellipse((margin, 30, margin + 90, 120), fill=_colour(rng, 60, 230))
    d.text((margin + 110, 40), str(rng.choice(_CHANNELS)), font=font(34), fill=ink)
    d.text((margin, 140), _sentence(rng), font=font(36), fill=ink)
    canvas.paste(pic, (margin, top))
    return canvas


def beside(img: Image.Image, rng: Rng) -> Image.Image:
    """A comparison meme: the frame and an unrelated picture of the same size side by side,
    the frame left or right, a white or black gap of 10-30 pixels between them."""
    img = _rgb(img)
    gap = int(rng.integers(10, 31))
    colour = (255, 255, 255) if rng.random() < 0.5 else (0, 0, 0)
    canvas = Image.new("RGB", (2 * img.width + gap, img.height), colour)
    left = rng.random() < 0.5
    canvas.paste(img, (0 if left else img.width + gap, 0))
    canvas.paste(_background(img.size, rng), (img.width + gap if left else 0, 0))
    return canvas


def vertical(img: Image.Image, rng: Rng) -> Image.Image:
    """A portrait (9:16) re-upload of a landscape video: the frame across the width, a little
    above or below the middle, over a blurred, darkened, enlarged copy of itself, often with a
    caption line above."""
    img = _rgb(img)
    size = (720, 1280)
    cover = img.resize((round(img.width * size[1] / img.height), size[1]))
    left = (cover.width - size[0]) // 2
    ground = cover.crop((left, 0, left + size[0], size[1])).filter(ImageFilter.GaussianBlur(24))
    canvas = ImageEnhance.Brightness(ground).enhance(float(rng.uniform(0.45, 0.8)))
    pic = _fit(img, size[0])
    y = (size[1] - pic.height) // 2 + int(rng.integers(-120, 121))
    canvas.paste(pic, (0, y))
    if rng.random() < 0.7:
        d = ImageDraw.Draw(canvas)
        _text_centered(d, size[0] / 2, y - 120, _sentence(rng, (2, 4)), 48, "white", 3)
    return canvas


def typical(img: Image.Image, rng: Rng) -> Image.Image:
    """What a shared screenshot often is: a player window, subtitles, 960 wide, JPEG 75."""
    return _fit(player(subtitles(img, rng), rng), 960)


EDITS: dict[str, Edit] = {
    e.name: e
    for e in [
        Edit("none", "quality", "the frame as it is (PNG)", none),
        Edit("jpeg30", "quality", "JPEG quality 30", jpeg30, "JPEG", {"quality": 30}),
        Edit("down320", "quality", "downscaled to 320 wide (320x180)", down320),
        Edit("down160", "quality", "downscaled to 160 wide (160x90)", down160),
        Edit(
            "gif", "quality", "GIF: 256-colour palette, Floyd-Steinberg dithering", gif, "GIF", {}
        ),
        Edit("letterbox", "frame", "black bars above and below (4:3 or square canvas)", letterbox),
        Edit("pillarbox", "frame", "black bars left and right (21:9 or 2:1 canvas)", pillarbox),
        Edit("player", "frame", "desktop player window: grey title bar and control bar", player),
        Edit(
            "browser", "frame", "browser window: tabs, address bar, page around the video", browser
        ),
        Edit(
            "phone", "frame", "portrait phone screenshot: status bar, app around the video", phone
        ),
        Edit("subtitles", "overlay", "two lines of outlined subtitles at the bottom", subtitles),
        Edit(
            "caption", "overlay", "meme text (big, top and bottom) or a white caption band", caption
        ),
        Edit("logo", "overlay", "channel logo/watermark in a corner, semi-transparent", logo),
        Edit("crop80", "crop", "centre crop keeping 80 % of the area", crop80),
        Edit("crop50", "crop", "centre crop keeping 50 % of the area", crop50),
        Edit(
            "crop_offcentre",
            "crop",
            "off-centre crop, ~50-70 % of the area, towards a corner",
            crop_offcentre,
        ),
        Edit("strip", "crop", "a 9:16 strip of the full height, anywhere across", strip),
        Edit("flip", "geometry", "horizontal mirror", flip),
        Edit(
            "stretch",
            "geometry",
            "aspect ratio changed: squeezed to 4:3 or widened by 1/3",
            stretch,
        ),
        Edit("tilt", "geometry", "turned 2-5 degrees, cut to the box it fills", tilt),
        Edit("tone", "colour", "brightness, contrast and gamma changed", tone),
        Edit("tint", "colour", "colour cast (blend towards a colour, or sepia)", tint),
        Edit("grey", "colour", "greyscale", grey),
        Edit("blur", "colour", "Gaussian blur, radius 0.2-0.4 % of the width", blur),
        Edit("noise", "colour", "Gaussian noise, sigma 8-20", noise),
        Edit(
            "pasted",
            "composite",
            "pasted small (30-45 % of the width) into an unrelated image",
            pasted,
        ),
        Edit(
            "card",
            "composite",
            "a shared post: light or dark card, name and text above, frame 80-92 % wide",
            card,
        ),
        Edit(
            "beside",
            "composite",
            "a comparison meme: beside an unrelated picture, a plain gap between",
            beside,
        ),
        Edit(
            "vertical",
            "composite",
            "9:16 re-upload: frame across the width over its own blurred copy, caption above",
            vertical,
            "JPEG",
            {"quality": 85},
        ),
        Edit(
            "screen_photo",
            "composite",
            "phone photo of a monitor at an angle: bezel, background, moire, glare; JPEG 85",
            screen_photo,
            "JPEG",
            {"quality": 85},
        ),
        Edit(
            "typical",
            "composite",
            "player window + subtitles, 960 wide, JPEG 75",
            typical,
            "JPEG",
            {"quality": 75},
        ),
    ]
}


def family_rng(seed: int, family: str, index: int) -> Rng:
    """The generator for query ``index`` of ``family``: independent of every other family."""
    return np.random.default_rng([seed, zlib.crc32(family.encode()), index])


def edit_image(family: str, frame: np.ndarray | Image.Image, rng: Rng) -> Image.Image:
    img = frame if isinstance(frame, Image.Image) else Image.fromarray(frame)
    return EDITS[family].apply(img, rng)


def query_bytes(
    family: str, frame: np.ndarray | Image.Image, *, seed: int = 0, index: int = 0
) -> bytes:
    """The edited frame, encoded as the family's file format."""
    edit = EDITS[family]
    return edit.encode(edit_image(family, frame, family_rng(seed, family, index)))
