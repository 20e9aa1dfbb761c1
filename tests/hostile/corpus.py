"""Hostile query inputs, made by code (nothing binary is committed).

Each case is bytes a client could upload; ``CASES`` names them with what sabi must do: answer
with frames (``ok``) or refuse with a BadInput-family error. The attacks came from trying
``sabi serve``: FFmpeg playlists and scripts (ffconcat, HLS, SDP), Pillow's EPS, damaged and
truncated images of every accepted format, decompression bombs, and odd shapes.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from media import png_claiming
from PIL import Image, features


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], bytes]
    ok: bool = False  # a valid query: frames come back (a search answers 200)
    either: bool = False  # damage a format cannot detect: frames or a BadInput both fine
    slow: bool = False  # more than a second to make or to refuse


def encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def picture(w: int = 320, h: int = 180, seed: int = 0) -> Image.Image:
    """A noisy gradient: compresses badly enough that truncation cuts real pixel data."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None, None]
    rgb = (x + y) / 2 + rng.normal(0, 30, (h, w, 3))
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: max(16, int(len(data) * keep))]


def corrupted(data: bytes, seed: int = 1) -> bytes:
    """Header kept, the middle overwritten with noise."""
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    lo, hi = min(64, len(out) // 4), len(out) * 3 // 4
    out[lo:hi] = rng.integers(0, 256, hi - lo, dtype=np.uint8).tobytes()
    return bytes(out)


def gif_bomb(width: int = 5000, height: int = 5000, frames: int = 3000) -> bytes:
    """A huge canvas with many 1x1 frames: tens of KB that decode to width x height x frames.

    Written by hand (Pillow would not save this). Each frame is a graphic control extension
    and a one-pixel image whose LZW data is clear, index 0, end (codes 4, 0, 5 at 3 bits).
    """
    out = bytearray(b"GIF89a")
    out += struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = b"\x21\xf9\x04\x00\x01\x00\x00\x00"
    frame += b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return bytes(out + frame * frames + b"\x3b")


def gif_growing(side: int = 3000) -> bytes:
    """A 16x16 canvas whose second frame is side x side: Pillow grows the image to fit, past
    the size checked when the file was opened. The big frame is Pillow's own encoding."""
    big = encode(Image.new("P", (side, side), 0), "GIF")
    at = big.index(b"\x2c" + struct.pack("<HHHH", 0, 0, side, side))
    small = gif_bomb(16, 16, 1)
    return small[:-1] + b"\x21\xf9\x04\x00\x01\x00\x00\x00" + big[at:-1] + b"\x3b"


def animated_gif(frames: int = 12, size: tuple[int, int] = (160, 90)) -> bytes:
    imgs = [picture(*size, seed=i) for i in range(frames)]
    return encode(imgs[0], "GIF", save_all=True, append_images=imgs[1:], duration=80, loop=0)


def video(
    fmt: str = "mp4", codec: str = "libx264", frames: int = 12, size: tuple[int, int] = (160, 90)
) -> bytes:
    """A short video of noise pictures in ``fmt``."""
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as dst:
        stream = dst.add_stream(codec, rate=12)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.asarray(picture(*size, seed=i)), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 12)
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return out.getvalue()


def audio_only() -> bytes:
    """An MP4 (an allowed container) holding one second of sound and no picture."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as dst:
        stream = dst.add_stream("aac", rate=44100)
        stream.layout = "mono"
        samples = np.zeros((1, 1024), dtype=np.float32)
        for i in range(44):
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, i * 1024
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return out.getvalue()


def ffconcat(target: str) -> bytes:
    """An FFmpeg concat script naming ``target``: opened by FFmpeg, it reads that file."""
    return f"ffconcat version 1.0\nfile '{target}'\n".encode()


def hls(target: str) -> bytes:
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:10.0,\n{target}\n#EXT-X-ENDLIST\n"
    ).encode()


def sdp(port: int = 50004) -> bytes:
    """A session description: FFmpeg's sdp demuxer opens UDP ports and waits for RTP."""
    return (
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=sabi\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=video {port} RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
    ).encode()


def eps() -> bytes:
    """Encapsulated PostScript: Pillow hands it to Ghostscript, a PostScript interpreter."""
    return (
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n%%EndComments\n"
        b"newpath 0 0 moveto 16 16 lineto stroke\nshowpage\n%%EOF\n"
    )


def _image_cases() -> list[Case]:
    pic = picture()
    cases = [
        Case("jpeg", lambda: encode(pic, "JPEG", quality=80), ok=True),
        Case("png", lambda: encode(pic, "PNG"), ok=True),
        Case("webp", lambda: encode(pic, "WEBP"), ok=True),
        Case("gif", animated_gif, ok=True),
        Case("bmp", lambda: encode(pic, "BMP"), ok=True),
        Case("1x1", lambda: encode(Image.new("RGB", (1, 1), (200, 10, 10)), "PNG"), ok=True),
        Case("30000x10", lambda: encode(picture(30000, 10), "PNG")),
        Case("10x30000", lambda: encode(picture(10, 30000), "PNG")),
        Case("1x20", lambda: encode(picture(1, 20), "PNG"), ok=True),
    ]
    formats = [("jpeg", "JPEG"), ("png", "PNG"), ("webp", "WEBP"), ("bmp", "BMP")]
    if features.check("avif"):
        cases.append(Case("avif", lambda: encode(pic, "AVIF"), ok=True))
        formats.append(("avif", "AVIF"))
    for name, fmt in formats:
        cases.append(Case(f"{name}-truncated", lambda f=fmt: truncated(encode(pic, f))))  # type: ignore[misc]
        cases.append(
            Case(f"{name}-corrupt", lambda f=fmt: corrupted(encode(pic, f)), either=True)  # type: ignore[misc]
        )
    cases.append(Case("gif-truncated", lambda: truncated(animated_gif(), 0.3)))
    return cases


CASES: list[Case] = [
    *_image_cases(),
    Case("mp4", video, ok=True),
    Case("webm", lambda: video("webm", "libvpx"), ok=True),
    Case("mp4-truncated", lambda: truncated(video(), 0.4)),
    Case("empty", lambda: b""),
    Case("random-bytes", lambda: np.random.default_rng(7).bytes(4096)),
    Case("text", lambda: b"hello, this is not a picture\n" * 10),
    Case("html", lambda: b"<!doctype html><html><body><img src=x></body></html>"),
    Case("ffconcat", lambda: ffconcat("clip.mp4")),
    Case("ffconcat-absolute", lambda: ffconcat("/etc/passwd")),
    Case("hls", lambda: hls("file:///etc/passwd")),
    Case("sdp", sdp),
    Case("eps", eps),
    Case("audio-only", audio_only),
    Case("png-bomb-header", lambda: png_claiming(100_000, 100_000)),
    Case("png-bomb-wide", lambda: png_claiming(2**31 - 1, 1)),
    # cut just after the second frame's image separator: Pillow raised struct.error (a 500)
    Case("gif-cut-in-descriptor", lambda: gif_bomb(16, 16, 3)[:70]),
    Case("gif-bomb", gif_bomb),
    Case("gif-growing-canvas", gif_growing),
    Case("gif-many-frames", lambda: gif_bomb(1000, 1000, 60_000), slow=True),
    Case("gif-many-small-frames", lambda: gif_bomb(400, 400, 3000), ok=True, slow=True),
]
