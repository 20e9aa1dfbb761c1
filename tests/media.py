"""Test media: FFmpeg's synthetic sources encoded with PyAV, and screenshot-like edits."""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image


def make_video(
    path: Path,
    source: str = "testsrc2",
    *,
    seconds: float = 6.0,
    size: tuple[int, int] = (640, 360),
    fps: int = 24,
    codec: str = "libx264",
    start: float = 0.0,
    letterbox: int = 0,
) -> Path:
    """Encode ``seconds`` of an FFmpeg lavfi source (e.g. testsrc2, mandelbrot, life) to a file.

    ``start`` shifts every timestamp (a file that does not start at zero); ``letterbox`` paints
    that many black rows at the top and bottom of every frame.
    """
    w, h = size
    spec = source if "=" in source else f"{source}=size={w}x{h}:rate={fps}"
    src = av.open(spec, format="lavfi")
    out = av.open(str(path), "w")
    stream = out.add_stream(codec, rate=fps)
    stream.width, stream.height = w, h
    stream.pix_fmt = "yuv420p"
    if codec == "libx264":
        stream.options = {"preset": "ultrafast"}
    stream.codec_context.time_base = Fraction(1, fps)
    total = int(seconds * fps)
    offset = round(start * fps)
    for i, frame in enumerate(src.decode(video=0)):
        if i >= total:
            break
        rgb = frame.to_ndarray(format="rgb24", width=w, height=h)
        if letterbox:
            rgb[:letterbox] = 0
            rgb[-letterbox:] = 0
        vf = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        vf.pts = i + offset
        vf.time_base = Fraction(1, fps)
        for packet in stream.encode(vf):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    src.close()
    return path


def frame_at(path: Path, t: float) -> tuple[float, np.ndarray]:
    """The first frame at or after ``t`` seconds (stream time), as RGB, with its exact time."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
        for frame in c.decode(stream):
            if frame.time is not None and frame.time - start >= t:
                return frame.time - start, frame.to_ndarray(format="rgb24")
    raise ValueError(f"{path} has no frame at {t}")


def screenshot(
    rgb: np.ndarray, *, width: int = 640, quality: int = 40, letterbox: bool = True
) -> bytes:
    """A frame as people share it: scaled to ``width``, black bars added, JPEG-compressed."""
    img = Image.fromarray(rgb)
    h = round(img.height * width / img.width)
    img = img.resize((width, h))
    if letterbox:
        canvas = Image.new("RGB", (width, h + h // 3))
        canvas.paste(img, (0, h // 6))
        img = canvas
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def make_vfr_video(path: Path, times: list[float], size: tuple[int, int] = (320, 180)) -> Path:
    """Frames shown at the given irregular times; frame i is a flat grey of level 10 + 20 * i
    (mod 240), so a test can tell which frame it got."""
    w, h = size
    out = av.open(str(path), "w")
    stream = out.add_stream("libx264", rate=1000)
    stream.width, stream.height = w, h
    stream.pix_fmt = "yuv420p"
    stream.codec_context.time_base = Fraction(1, 1000)
    for i, t in enumerate(times):
        rgb = np.full((h, w, 3), grey_level(i), np.uint8)
        vf = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        vf.pts = round(t * 1000)
        vf.time_base = Fraction(1, 1000)
        for packet in stream.encode(vf):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    return path


def grey_level(i: int) -> int:
    return 40 + (20 * i) % 200


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(w: int, h: int) -> bytes:
    """A PNG header declaring w x h with a tiny body: the classic decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


def concat_clips(
    path: Path,
    pieces: list[tuple[Path, float, float]],
    *,
    size: tuple[int, int] = (480, 270),
    fps: int = 24,
) -> Path:
    """A compilation: each (file, start, end) piece of stream time re-encoded, in order, into
    one H.264 file at ``size`` and ``fps`` (hard cuts between pieces)."""
    w, h = size
    out = av.open(str(path), "w")
    stream = out.add_stream("libx264", rate=fps)
    stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
    stream.options = {"preset": "ultrafast"}
    stream.codec_context.time_base = Fraction(1, fps)
    n = 0
    for source, start, end in pieces:
        with av.open(str(source)) as src:
            video = src.streams.video[0]
            zero = float(video.start_time * video.time_base) if video.start_time else 0.0
            wanted = start
            for frame in src.decode(video):
                t = (frame.time or 0.0) - zero
                if t >= end:
                    break
                while wanted <= t and wanted < end:  # resample to ``fps``
                    vf = av.VideoFrame.from_ndarray(
                        frame.to_ndarray(format="rgb24", width=w, height=h), format="rgb24"
                    )
                    vf.pts, vf.time_base, n = n, Fraction(1, fps), n + 1
                    for packet in stream.encode(vf):
                        out.mux(packet)
                    wanted += 1 / fps
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    return path
