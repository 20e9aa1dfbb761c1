"""In-process decoding with PyAV (its wheel bundles FFmpeg): sampled, scaled RGB frames.

Times come from each frame's own timestamp, relative to the stream's start, so variable frame
rates and files that do not start at zero still give the seconds a player shows.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.container import InputContainer
from av.stream import Stream
from av.video.stream import VideoStream

from sabi.errors import VideoError
from sabi.prepare.borders import Crop, detect_crop

log = logging.getLogger(__name__)
# No Python log callback for FFmpeg (PyAV's default, said explicitly): with one installed, an
# FFmpeg worker thread that logs waits for the GIL while the thread freeing its codec context
# holds the GIL and waits for that worker: `sabi index` hung now and then (PyAV issue #751).
av.logging.set_level(None)

MAX_BAD_PACKETS = 50  # a few damaged packets are skipped; more means the file is broken


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    fps: float
    width: int
    height: int
    start: float
    sar: float = 1.0  # sample (pixel) aspect ratio: stored width x sar = shown width


@dataclass(frozen=True)
class SampledFrame:
    time: float
    rgb: np.ndarray


def open_video(path: Path) -> InputContainer:
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise VideoError(f"cannot open: {_reason(exc)}") from exc
    if not container.streams.video:
        container.close()
        raise VideoError("no video stream")
    return container


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def stream_start(container: InputContainer, stream: Stream) -> float:
    """Seconds at which the video stream starts (what a player shows as 0)."""
    if stream.start_time is not None and stream.time_base is not None:
        return float(stream.start_time * stream.time_base)
    if container.start_time is not None:
        return float(container.start_time / av.time_base)
    return 0.0


def probe(path: Path) -> VideoInfo:
    with open_video(path) as container:
        return _info(container, container.streams.video[0])


def _info(container: InputContainer, stream: VideoStream) -> VideoInfo:
    duration = 0.0
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else 0.0
    cc = stream.codec_context
    start = stream_start(container, stream)
    return VideoInfo(duration, fps, cc.width, cc.height, start, sample_aspect(stream))


def sample_aspect(stream: VideoStream) -> float:
    """The pixel aspect ratio (anamorphic DVD and broadcast rips are not 1); 1 when unknown
    (FFmpeg says 0/1)."""
    ratio = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    return float(ratio) if ratio else 1.0


def decoded_frames(path: Path, *, threads: bool = True) -> Iterator[tuple[float, av.VideoFrame]]:
    """Every decoded frame with its time in seconds from the start of the stream.

    Damaged packets are skipped (up to MAX_BAD_PACKETS); an unreadable file raises VideoError.
    """
    container = open_video(path)
    try:
        stream = container.streams.video[0]
        if threads:
            stream.thread_type = "AUTO"
        start = stream_start(container, stream)
        bad = 0
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:
                bad += 1
                if bad > MAX_BAD_PACKETS:
                    raise VideoError(f"too many damaged packets: {_reason(exc)}") from exc
                continue
            for frame in frames:
                if frame.pts is None or frame.time is None:
                    continue
                yield max(0.0, float(frame.time) - start), frame
    except av.FFmpegError as exc:
        raise VideoError(f"decode failed: {_reason(exc)}") from exc
    finally:
        container.close()


def sample_times[F](frames: Iterator[tuple[float, F]], rate: float) -> Iterator[tuple[float, F]]:
    """Keep the first frame at or after each 1/rate grid point."""
    step = 1.0 / rate
    next_t = 0.0
    eps = 1e-3
    for t, frame in frames:
        if t + eps >= next_t:
            yield t, frame
            next_t = (math.floor((t + eps) / step) + 1) * step


def sample_frames(
    path: Path, rate: float, width: int, crop: Crop | None = None
) -> Iterator[SampledFrame]:
    """Frames at ``rate`` per second, scaled to ``width`` wide RGB at the aspect a player
    shows, borders cut by ``crop``."""
    sar = probe(path).sar
    size: tuple[int, int] | None = None
    for t, frame in sample_times(decoded_frames(path), rate):
        if size is None:
            size = target_size(frame, width, sar)
        rgb = frame.to_ndarray(width=size[0], height=size[1], format="rgb24")
        yield SampledFrame(t, crop.apply(rgb) if crop else rgb)


def target_size(frame: av.VideoFrame, width: int, sar: float) -> tuple[int, int]:
    aspect = frame.width / max(1, frame.height) * sar
    return width, max(2, round(width / aspect / 2) * 2)


def probe_crop(path: Path, width: int, level: int, samples: int = 12) -> Crop:
    """Decide the border crop for a whole video from frames spread over its length.

    Seeking to a few points costs a GOP each; a video that cannot seek falls back to its
    first frames.
    """
    frames: list[np.ndarray] = []
    with open_video(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        info = _info(container, stream)
        size: tuple[int, int] | None = None
        points = (
            [info.duration * (i + 0.5) / samples for i in range(samples)] if info.duration else []
        )
        for t in points:
            try:
                offset = int((t + info.start) / stream.time_base)
                container.seek(offset, stream=stream, any_frame=False, backward=True)
                frame = next(container.decode(stream), None)
            except (av.FFmpegError, StopIteration):
                frame = None
            if frame is None:
                continue
            size = size or target_size(frame, width, info.sar)
            frames.append(frame.to_ndarray(width=size[0], height=size[1], format="rgb24"))
    if len(frames) < max(3, samples // 2):
        frames = [
            f.rgb for _, f in zip(range(samples * 4), sample_frames(path, 1.0, width), strict=False)
        ]
    return detect_crop(frames, level)
