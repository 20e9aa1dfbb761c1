"""Which decoder may open untrusted query bytes, decided from the bytes before any decoding.

Left to themselves, Pillow and FFmpeg try every format they know. FFmpeg's include playlists
and scripts (concat, ffconcat, HLS) that open other files or URLs, SDP files that listen on UDP
ports, image2 patterns and device inputs; Pillow's include EPS (run by Ghostscript). So a query
is opened only as one of a short list of image and video formats: images by Pillow restricted to
``IMAGE_FORMATS``, videos by PyAV with the demuxer named here from the file's magic bytes (never
FFmpeg's own probing), only that demuxer whitelisted, and no protocol reachable from inside the
file.
"""

from __future__ import annotations

from PIL import Image, features

from sabi.errors import BadInput

# Pillow's format names. AVIF only where Pillow was built with it.
_IMAGES = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
IMAGE_FORMATS: tuple[str, ...] = _IMAGES + (("AVIF",) if features.check("avif") else ())

# PyAV (FFmpeg) demuxer names, with the magic bytes that select them (see video_format):
# MP4/MOV/3GP, Matroska/WebM, AVI, MPEG-TS.
VIDEO_FORMATS = ("mov", "matroska", "avi", "mpegts")
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")
_TS_PACKET = 188

# Options for av.open: only the chosen demuxer, no protocol a file could name (concat, HLS
# or a QuickTime data reference would open files or URLs through it), no external references.
_NO_PROTOCOLS = "none"


def image_formats() -> list[str]:
    """The formats ``Image.open(formats=...)`` may try for a query."""
    Image.init()
    return [f for f in IMAGE_FORMATS if f in Image.OPEN]


def video_format(data: bytes) -> str:
    """The demuxer for ``data``, from its first bytes; BadInput for anything not on the list."""
    if len(data) >= 12 and data[4:8] in _MP4_BOXES:
        return "mov"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"  # and WebM, a subset
    if data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        return "avi"
    if _is_mpegts(data):
        return "mpegts"
    raise BadInput("not an image or video sabi can read")


def _is_mpegts(data: bytes) -> bool:
    """Sync bytes at the start of the first few 188-byte packets."""
    packets = min(4, len(data) // _TS_PACKET)
    return packets >= 2 and all(data[i * _TS_PACKET] == 0x47 for i in range(packets))


def av_options(fmt: str) -> dict[str, str]:
    """The demuxer options that keep FFmpeg inside the bytes it was given."""
    options = {"format_whitelist": fmt, "protocol_whitelist": _NO_PROTOCOLS}
    if fmt == "mov":
        options["enable_drefs"] = "0"
        options["use_absolute_path"] = "0"
    return options
