"""A video query's frames: PyAV, held to the demuxer the bytes name and to the decode budget.

Frames from the start of the clip are decoded up to the caps (frames, seconds, the budget's
pixels and deadline, its cancel hook checked on every packet) and thinned as they come, so
memory stays flat whatever the length.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

import av
import numpy as np
from av.container import InputContainer
from av.video.stream import VideoStream

from sabi.errors import BadInput, SabiError, TooLarge
from sabi.prepare.budget import DecodeBudget, check_moving, check_shape, reason
from sabi.prepare.formats import av_options, video_format

if TYPE_CHECKING:
    from sabi.prepare.query import QueryLimits

PREVIEW_WIDTH = 640  # frames are kept at most this wide (the query is scaled down anyway)

Sink = Callable[[float, np.ndarray], None]  # takes (seconds from the clip's start, RGB)


def video_frames(
    data: bytes, limits: QueryLimits, budget: DecodeBudget, sink: Sink | None = None
) -> list[tuple[float, np.ndarray]]:
    """(seconds from the clip's start, RGB) of decoded frames, at most ``4 x max_frames``.

    With ``sink`` every frame (one per ``limits.sample_every`` seconds, if set) is handed to it
    as it comes and nothing is kept here: a shot breakdown reads minutes of video that way.
    """
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
        declared = container.duration / av.time_base if container.duration else 0.0
        if limits.refuse_longer and declared > limits.max_seconds + 1.0:
            raise _too_long(limits)
        if stream.frames:  # declared; a file that lies is still stopped by spend()
            budget.reserve(min(stream.frames, limits.max_decoded_frames), cc.width, cc.height)
        decoded: list[tuple[float, np.ndarray]] = []

        def keep(t: float, rgb: np.ndarray) -> None:
            decoded.append((t, rgb))
            if len(decoded) > 4 * limits.max_frames:
                del decoded[1::2]

        passed = _decode(container, stream, limits, budget, sink or keep)
    except (SabiError, MemoryError):
        raise
    except Exception as exc:
        raise BadInput(f"the video cannot be decoded: {reason(exc)}") from exc
    finally:
        container.close()
    if not passed:
        raise BadInput("no frame could be decoded from the file")
    return decoded


def _too_long(limits: QueryLimits) -> TooLarge:
    return TooLarge(
        f"the clip is longer than {limits.max_seconds:g} s, the most that is read; "
        "send a shorter clip"
    )


def _decode(
    container: InputContainer,
    stream: VideoStream,
    limits: QueryLimits,
    budget: DecodeBudget,
    sink: Sink,
) -> int:
    """Frames from the start, up to the caps, passed to ``sink`` as they come (so memory stays
    flat); the budget is checked on every packet, so a stream of undecodable packets cannot
    run on. Returns how many frames were passed on."""
    start = None
    count = passed = 0
    last = float("-inf")
    for packet in container.demux(stream):
        budget.check()
        for frame in packet.decode():
            budget.spend(frame.width, frame.height)
            count += 1
            t = float(frame.time or 0.0)
            start = t if start is None else start
            if count > limits.max_decoded_frames or t - start > limits.max_seconds:
                if limits.refuse_longer:
                    raise _too_long(limits)
                return passed
            if t - start < last + limits.sample_every:
                continue
            last = t - start
            w = min(frame.width, PREVIEW_WIDTH)
            h = max(2, round(frame.height * w / max(1, frame.width)))
            sink(t - start, frame.to_ndarray(width=w, height=h, format="rgb24"))
            passed += 1
    return passed
