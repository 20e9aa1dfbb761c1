"""Every frame of a few seconds of a video, made the way indexed frames are: for naming the
exact frame a screenshot was taken from.

The index holds ``rate`` frames a second, so a screenshot lies between two of them. Decoding
the seconds around a match at the video's own frame rate gives the frames in between. They are
scaled by the same call and cut by the same crop as ``sample_frames`` makes index frames, so a
frame that was indexed comes out pixel for pixel the same here, and so does its vector.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
from av.container import InputContainer
from av.video.stream import VideoStream

from sabi.errors import VideoError
from sabi.prepare.borders import Crop
from sabi.prepare.decode import SampledFrame, open_video, sample_aspect, stream_start, target_size

# Frames decoded before giving up on reaching the window: a file that cannot seek is read from
# its start, and a refinement must not decode an hour of it (about a minute at 24 fps).
MAX_DECODED = 1500


def seek(container: InputContainer, stream: VideoStream, t: float, start: float) -> None:
    """To the keyframe at or before ``t`` seconds (from the stream's start); a file that cannot
    seek goes back to its beginning."""
    try:
        container.seek(int((max(0.0, t) + start) / stream.time_base), stream=stream, backward=True)
    except av.FFmpegError:
        container.seek(0)


def frames_from(
    container: InputContainer, stream: VideoStream, t0: float, start: float
) -> Iterator[tuple[float, av.VideoFrame]]:
    """Decoded frames from the keyframe before ``t0`` on, with their times in seconds from the
    stream's start; damaged packets are skipped."""
    seek(container, stream, t0, start)
    for packet in container.demux(stream):
        try:
            decoded = packet.decode()
        except av.FFmpegError:
            continue
        for frame in decoded:
            if frame.time is not None:
                yield float(frame.time) - start, frame


def window_frames(
    path: Path, lo: float, hi: float, width: int, crop: Crop | None = None
) -> list[SampledFrame]:
    """Every frame shown between ``lo`` and ``hi`` seconds, ``width`` wide at the aspect a
    player shows, borders cut by ``crop``: what ``sample_frames`` would give at any rate.

    An unreadable file raises VideoError; a window past the end gives what there is.
    """
    container = open_video(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start = stream_start(container, stream)
        sar = sample_aspect(stream)
        size: tuple[int, int] | None = None
        out: list[SampledFrame] = []
        for n, (t, frame) in enumerate(frames_from(container, stream, lo, start)):
            t = max(0.0, t)
            if t > hi + 1e-3 or n >= MAX_DECODED:
                break
            if t < lo - 1e-3:
                continue
            size = size or target_size(frame, width, sar)
            rgb = frame.to_ndarray(width=size[0], height=size[1], format="rgb24")
            out.append(SampledFrame(t, crop.apply(rgb) if crop else rgb))
        return out
    except av.FFmpegError as exc:
        raise VideoError(f"decode failed: {exc}") from exc
    finally:
        container.close()
