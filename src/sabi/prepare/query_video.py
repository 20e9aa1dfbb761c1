"""A video query's frames: PyAV, held to the demuxer the bytes name and to the decode budget.

Frames from the start of the clip are decoded up to the caps (frames, seconds, the budget's
pixels and deadline, its cancel hook checked on every packet) and thinned as they come, so
memory stays flat whatever the length.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import av
import numpy as np
from av.container import InputContainer
from av.video.stream import VideoStream

from sabi.errors import BadInput, SabiError
from sabi.prepare.budget import DecodeBudget, check_moving, check_shape, reason
from sabi.prepare.formats import av_options, video_format

if TYPE_CHECKING:
    from sabi.prepare.query import QueryLimits

PREVIEW_WIDTH = 640  # frames are kept at most this wide (the query is scaled down anyway)


def video_frames(
    data: bytes, limits: QueryLimits, budget: DecodeBudget
) -> list[tuple[float, np.ndarray]]:
    """(seconds from the clip's start, RGB) of decoded frames, at most ``4 x max_frames``."""
    fmt = video_format(data)  # refuses anything off the list before FFmpeg sees it
    try:
        container = av.open(io.BytesIO(data), mode="r", format=fmt, options=av_options(fmt))
    except MemoryError:
        raise
    except Exception as exc:  # FFmpeg's errors, and PyAV's own on what it cannot map
        raise BadInput(f"the video cannot be read: {reason(exc)}") from exc
    try:
        if not container.streams.video:
            raise BadInput("the file has no picture (no video stream)")
        stream = container.streams.video[0]
        cc = stream.codec_context
        check_moving(cc.width, cc.height, min(limits.max_pixels, limits.max_animated_pixels))
        check_shape(cc.width, cc.height, limits.max_aspect)
        if stream.frames:  # declared; a file that lies is still stopped by spend()
            budget.reserve(min(stream.frames, limits.max_decoded_frames), cc.width, cc.height)
        decoded = _decode(container, stream, limits, budget)
    except (SabiError, MemoryError):
        raise
    except Exception as exc:
        raise BadInput(f"the video cannot be decoded: {reason(exc)}") from exc
    finally:
        container.close()
    if not decoded:
        raise BadInput("no frame could be decoded from the file")
    return decoded


def _decode(
    container: InputContainer, stream: VideoStream, limits: QueryLimits, budget: DecodeBudget
) -> list[tuple[float, np.ndarray]]:
    """Frames from the start, up to the caps, thinned as they come to keep memory flat; the
    budget is checked on every packet, so a stream of undecodable packets cannot run on."""
    decoded: list[tuple[float, np.ndarray]] = []
    start = None
    count = 0
    for packet in container.demux(stream):
        budget.check()
        for frame in packet.decode():
            budget.spend(frame.width, frame.height)
            count += 1
            if count > limits.max_decoded_frames:
                return decoded
            t = float(frame.time or 0.0)
            start = t if start is None else start
            if t - start > limits.max_seconds:
                return decoded
            w = min(frame.width, PREVIEW_WIDTH)
            h = max(2, round(frame.height * w / max(1, frame.width)))
            decoded.append((t - start, frame.to_ndarray(width=w, height=h, format="rgb24")))
            if len(decoded) > 4 * limits.max_frames:
                decoded = decoded[::2]
    return decoded
