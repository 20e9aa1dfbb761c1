"""Turn untrusted query bytes (an image, a GIF, a short video) into a few RGB frames.

Everything here assumes hostile input: only an allow-list of formats is opened, chosen from
the bytes before decoding (sabi.prepare.formats); sizes are checked before pixels are decoded
(decompression bombs); animated and video queries are capped in frames and seconds and spend a
budget of decoded pixels and time that a cancel hook can cut short (sabi.prepare.budget); and
every failure becomes a BadInput with a reason a person can read.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, ImageSequence, UnidentifiedImageError

from sabi.errors import BadInput, SabiError, TooLarge
from sabi.prepare.borders import detect_crop
from sabi.prepare.budget import Cancel, DecodeBudget, check_moving, check_shape, reason
from sabi.prepare.formats import image_formats
from sabi.prepare.query_video import video_frames


@dataclass(frozen=True)
class QueryFrame:
    time: float  # seconds from the start of the query clip (0 for a still image)
    rgb: np.ndarray


@dataclass(frozen=True)
class QueryLimits:
    max_pixels: int = 40_000_000
    max_frames: int = 8
    max_seconds: float = 60.0
    max_decoded_frames: int = 3000
    # Still images wider than this are decoded at reduced size (JPEG's DCT scaling) and
    # box-reduced to no less than it: the query is scaled down to ``resolution`` anyway, and
    # decoding a phone-sized screenshot whole is most of a search's time. 0: full size.
    shrink_to: int = 0
    # The decoding one query may cost: pixels decoded over all its frames (an animation or a
    # video is refused, 413, when it declares or reaches more; about 7 s of one core at the
    # ~150 Mpx/s GIF and VP9 decode here), and seconds of decoding.
    max_decode_pixels: int = 1_000_000_000
    max_decode_seconds: float = 20.0
    # Pixels a frame of an animation or video may have (4K UHD): an animated GIF is drawn
    # frame over frame in RGBA at full canvas size, several copies at once.
    max_animated_pixels: int = 3840 * 2160
    # The longer side may be at most this many times the shorter (a long phone screenshot is
    # about 1:10): the query is scaled to the index's width, and a 10x30000 strip is not a scene.
    max_aspect: float = 20.0
    # A shot breakdown reads a whole clip: one frame per ``sample_every`` seconds (0: every
    # frame), and a clip longer than ``max_seconds`` is refused (TooLarge), not cut short.
    sample_every: float = 0.0
    refuse_longer: bool = False


def load_query(
    data: bytes,
    limits: QueryLimits | None = None,
    *,
    cancel: Cancel | None = None,
    deadline: float | None = None,
) -> list[QueryFrame]:
    """Frames of an image/GIF/video query, evenly spread over an animated one.

    ``cancel`` is called between frames; once it returns true decoding stops with
    QueryCancelled (the server passes its client-gone event's ``is_set``). ``deadline``, a
    ``time.monotonic()`` value, can end decoding sooner than ``limits.max_decode_seconds``.
    """
    limits = limits or QueryLimits()
    if not data:
        raise BadInput("the file is empty")
    budget = DecodeBudget.start(
        limits.max_decode_pixels, limits.max_decode_seconds, cancel=cancel, deadline=deadline
    )
    budget.check()
    try:
        return _from_image(data, limits, budget)
    except _NotAnImage:
        pass
    decoded = video_frames(data, limits, budget)
    picks = np.linspace(0, len(decoded) - 1, min(len(decoded), limits.max_frames)).round()
    return [QueryFrame(*decoded[i]) for i in sorted(set(picks.astype(int)))]


class _NotAnImage(Exception):
    pass


def _rgb(img: Image.Image) -> np.ndarray:
    if _transparent(img):
        img = img.convert("RGBA")
        canvas = Image.new("RGB", img.size, (0, 0, 0))
        canvas.paste(img, mask=img.getchannel("A"))
        return np.asarray(canvas)
    return np.asarray(img.convert("RGB"))


def _from_image(data: bytes, limits: QueryLimits, budget: DecodeBudget) -> list[QueryFrame]:
    """Pillow, restricted to the listed formats."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with _pillow_errors(limits, "cannot be read"):
            try:
                img = Image.open(io.BytesIO(data), formats=image_formats())
            except UnidentifiedImageError as exc:
                raise _NotAnImage from exc
        with _pillow_errors(limits, "is damaged or truncated"):
            return _image_frames(img, limits, budget)


@contextmanager
def _pillow_errors(limits: QueryLimits, what: str) -> Iterator[None]:
    """Pillow's plugins meet damaged files with all kinds of exceptions (struct.error,
    IndexError, EOFError...), so anything that is not one of ours is the file's fault: a
    BadInput ("the image <what>: ..."), never a 500."""
    try:
        yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb(limits) from exc
    except (SabiError, MemoryError, _NotAnImage):
        raise
    except Exception as exc:
        raise BadInput(f"the image {what}: {reason(exc)}") from exc


def _image_frames(img: Image.Image, limits: QueryLimits, budget: DecodeBudget) -> list[QueryFrame]:
    w, h = img.size
    if w < 1 or h < 1:
        raise BadInput("the image has no pixels")
    if w * h > limits.max_pixels:
        raise TooLarge(
            f"the image is {w}x{h} pixels; at most {limits.max_pixels:,} pixels are accepted"
        )
    check_shape(w, h, limits.max_aspect)
    n = _frame_count(img, limits.max_decoded_frames, budget)
    if n <= 1:
        return [QueryFrame(0.0, _decode_still(img, limits.shrink_to))]
    return _animated(img, n, limits, budget)


def _bomb(limits: QueryLimits) -> TooLarge:
    return TooLarge(f"the image is too large to decode safely (over {limits.max_pixels:,} pixels)")


def _decode_still(img: Image.Image, shrink_to: int) -> np.ndarray:
    fast = _fast_png(img)
    if fast is not None:
        return fast
    w, h = img.size
    if not shrink_to or w < 2 * shrink_to:
        img.load()
        return _rgb(img)
    if img.format == "JPEG":
        img.draft(img.mode, (shrink_to, max(1, h * shrink_to // w)))
    img.load()
    factor = img.width // shrink_to
    if factor >= 2:
        if img.mode not in ("RGB", "RGBA", "L", "LA"):  # palette, 16-bit...: reduce() lacks them
            img = img.convert("RGBA" if _transparent(img) else "RGB")
        img = img.reduce(factor)  # before _rgb's copies: a 40 Mpx palette PNG peaked at 420 MB
    return _rgb(img)


def _transparent(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)


def _fast_png(img: Image.Image) -> np.ndarray | None:
    """An 8-bit RGB PNG (what screenshot tools save) decoded by libspng, about twice as fast
    as Pillow's decoder; the size was checked on the header already. Anything else, or any
    doubt, is left to Pillow."""
    if img.format != "PNG" or img.mode != "RGB" or "transparency" in img.info:
        return None
    try:
        import pyspng
    except ImportError:  # pragma: no cover - a dependency, but only a speed-up
        return None
    fp = img.fp if isinstance(img, ImageFile.ImageFile) else None
    if fp is None:
        return None
    try:
        fp.seek(0)
        rgb: np.ndarray = pyspng.load(fp.read())
    except Exception:  # Pillow gives the error a person can read
        return None
    if (
        rgb.ndim != 3
        or rgb.shape[2] != 3
        or rgb.dtype != np.uint8
        or rgb.shape[:2] != img.size[::-1]
    ):
        return None
    return rgb


def _frame_count(img: Image.Image, cap: int, budget: DecodeBudget) -> int:
    """Frames in ``img``, counted no further than ``cap``.

    Pillow counts a GIF's frames by reading through all of them: a 25 MB GIF of a million tiny
    frames takes seconds to count before anything is decoded. The same header walk (Pillow's
    own ``_seek(frame, False)``, which reads no pixels) is done here with a cap and the budget's
    deadline and cancel checks. Other formats declare their count in a header.
    """
    walk = getattr(img, "_seek", None)
    if img.format != "GIF" or walk is None or getattr(img, "_n_frames", None) is not None:
        return int(getattr(img, "n_frames", 1))
    n = 1
    try:
        while n <= cap:
            if n % 256 == 0:
                budget.check()
            walk(n, False)
            n += 1
    except EOFError:
        pass
    finally:
        img.seek(0)
    return n


def _animated(
    img: Image.Image, n: int, limits: QueryLimits, budget: DecodeBudget
) -> list[QueryFrame]:
    """Every frame up to the caps is decoded (each is drawn over the one before), but only the
    wanted ones are kept, shrunk to ``shrink_to`` wide so memory stays flat."""
    n = min(n, limits.max_decoded_frames)
    most = min(limits.max_pixels, limits.max_animated_pixels)
    check_moving(img.width, img.height, most)
    budget.reserve(n, img.width, img.height)
    wanted = set(np.linspace(0, n - 1, min(n, limits.max_frames)).round().astype(int).tolist())
    frames, t = [], 0.0
    for i, frame in enumerate(ImageSequence.Iterator(img)):
        if i >= n or t > limits.max_seconds:
            break
        check_moving(frame.width, frame.height, most)  # a GIF frame can grow the canvas
        budget.spend(frame.width, frame.height)
        if i in wanted:
            rgb = _rgb(frame)
            frames.append(QueryFrame(t, shrink(rgb, limits.shrink_to) if limits.shrink_to else rgb))
        t += (frame.info.get("duration") or 100) / 1000.0
    return frames


def prepare_query_frames(
    frames: list[QueryFrame], width: int, cut_borders: bool, black_level: int
) -> list[QueryFrame]:
    """The same treatment index frames get: borders cut, then scaled to ``width`` wide.

    Large images are first shrunk to twice the target width, and borders are looked for at the
    target width: detection then reads a hundred thousand pixels instead of millions, and the
    crop, made in fractions of the frame, is the same.
    """
    frames = [QueryFrame(f.time, shrink(f.rgb, 2 * width)) for f in frames]
    crop = None
    if cut_borders:
        crop = detect_crop([shrink(f.rgb, width) for f in frames], black_level)
    out = []
    for f in frames:
        rgb = crop.apply(f.rgb) if crop else f.rgb
        h, w = rgb.shape[:2]
        height = max(2, round(h * width / max(1, w)))
        if (w, h) != (width, height):
            rgb = np.asarray(
                Image.fromarray(rgb).resize((width, height), Image.Resampling.BILINEAR)
            )
        out.append(QueryFrame(f.time, rgb))
    return out


def shrink(rgb: np.ndarray, max_width: int) -> np.ndarray:
    """Box-reduce by a whole factor first (a fraction of a bilinear resize's cost at these
    sizes), then resize what is left over."""
    h, w = rgb.shape[:2]
    if w <= max_width:
        return rgb
    img = Image.fromarray(rgb)
    if w // max_width >= 2:
        img = img.reduce(w // max_width)
    if img.width > max_width:
        size = (max_width, max(2, round(img.height * max_width / img.width)))
        img = img.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(img)
