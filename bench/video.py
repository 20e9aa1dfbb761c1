"""Encoding and decoding benchmark video with PyAV (its wheel bundles FFmpeg and x264)."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av


class Encoder:
    """H.264 in an MP4 at a constant frame rate; frames are numbered as they come."""

    def __init__(
        self, path: Path, size: tuple[int, int], fps: int, crf: int = 20, preset: str = "veryfast"
    ):
        self.path = path
        self.tmp = path.with_name(f".{path.name}.part")  # no video suffix: never indexed
        self.size = size
        self.fps = fps
        self.out = av.open(str(self.tmp), "w", format="mp4")
        self.stream = self.out.add_stream("libx264", rate=fps)
        self.stream.width, self.stream.height = size
        self.stream.pix_fmt = "yuv420p"
        # crf 0 is lossless (in yuv420p): the "master" a rendered episode's screenshots come from
        self.stream.options = {"crf": str(crf), "preset": preset}
        self.stream.codec_context.time_base = Fraction(1, fps)
        self.frames = 0

    def add(self, frame: av.VideoFrame) -> None:
        w, h = self.size
        vf = frame.reformat(width=w, height=h, format="yuv420p")
        vf.pts = self.frames
        vf.time_base = Fraction(1, self.fps)
        self.frames += 1
        for packet in self.stream.encode(vf):
            self.out.mux(packet)

    def close(self) -> float:
        for packet in self.stream.encode():
            self.out.mux(packet)
        self.out.close()
        self.tmp.replace(self.path)
        return self.frames / self.fps


def decoded(path: Path | str, fmt: str | None = None) -> Iterator[tuple[float, av.VideoFrame]]:
    """(seconds from the stream's start, frame) for every frame of a file or lavfi source."""
    with av.open(str(path), format=fmt) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
        for frame in c.decode(stream):
            if frame.time is not None:
                yield float(frame.time) - start, frame
