"""Join downloaded parts into one MP4 with PyAV (its wheel bundles FFmpeg), in-process.

* DASH: a video-only and an audio-only fragmented MP4 (``.m4s``) -> one MP4, packets copied and
  interleaved by time.
* durl: FLV/MP4 segments -> one MP4, each segment's timestamps shifted to follow the last.

Codecs an MP4 holds (H.264, HEVC, AV1; AAC, MP3, FLAC, Opus) are copied; anything else is
transcoded (H.264 / AAC). The result is written as ``<name>.muxing.mp4`` and renamed when
complete (``+faststart``: the index sits at the front, so previews can stream it).
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.stream import Stream
from av.video.stream import VideoStream

from sabi.acquire.bilibili.api import BilibiliError

#: (decode time in seconds, "video" or "audio", the packet)
Timed = tuple[float, str, "Packet[Stream]"]

COPY_VIDEO = {"h264", "hevc", "av1"}
COPY_AUDIO = {"aac", "mp3", "flac", "opus"}


def mux_to_mp4(sources: list[list[Path]], dest: Path) -> float:
    """Mux ``sources`` (each a list of files played one after the other) into ``dest``.

    Returns the duration in seconds. Raises BilibiliError("mux") if the parts cannot be read.
    """
    tmp = dest.with_name(dest.stem + ".muxing.mp4")
    tmp.unlink(missing_ok=True)
    try:
        duration = _mux(sources, tmp)
    except (av.FFmpegError, ValueError, IndexError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise BilibiliError("mux", f"cannot mux {dest.name}: {exc}") from exc
    os.replace(tmp, dest)
    return duration


def unreadable(path: Path) -> str | None:
    """Why a downloaded part cannot be used (None: it can): not a media file, no audio or video
    stream, or packets that do not demux. Only demuxed, not decoded, so it is cheap; it catches
    a part that arrived complete but corrupt, which would otherwise fail every mux."""
    try:
        with av.open(str(path), mode="r") as c:
            streams = [*c.streams.video[:1], *c.streams.audio[:1]]
            if not streams:
                return "no audio or video stream in it"
            if not any(pkt.size for pkt in c.demux(*streams)):
                return "no media data in it"
    except (av.FFmpegError, ValueError, IndexError, OSError) as exc:
        return f"not a readable media file ({exc})"
    return None


def complete_mp4(path: Path, expected: float) -> bool:
    """Whether ``path`` is an MP4 this module finished: it only ever appears under its final name
    complete (written as ``.muxing.mp4``, then renamed), so it must open, hold a video stream and
    last about ``expected`` seconds (when known), as a check against someone else's file."""
    if not path.is_file():
        return False
    try:
        with av.open(str(path), mode="r") as c:
            if not c.streams.video:
                return False
            seconds = float(c.duration or 0) / av.time_base
    except (av.FFmpegError, ValueError, OSError):
        return False
    return expected <= 0 or seconds >= expected * 0.9


def _probe(path: Path) -> dict[str, str]:
    with av.open(str(path)) as c:
        out: dict[str, str] = {}
        if c.streams.video:
            out["video"] = c.streams.video[0].codec_context.name
        if c.streams.audio:
            out["audio"] = c.streams.audio[0].codec_context.name
        return out


def _mux(sources: list[list[Path]], tmp: Path) -> float:
    # Which source gives which kind of stream: the first source that has it.
    kinds: dict[str, int] = {}
    codecs: dict[str, str] = {}
    for i, files in enumerate(sources):
        for kind, codec in _probe(files[0]).items():
            if kind not in kinds:
                kinds[kind], codecs[kind] = i, codec
    if "video" not in kinds:
        raise ValueError("no video stream in the downloaded parts")
    copy = codecs["video"] in COPY_VIDEO and codecs.get("audio", "aac") in COPY_AUDIO
    out = av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"})
    try:
        streams = _packets(sources, kinds)
        if copy:
            end = _copy(streams, out, sources, kinds)
        else:
            end = _transcode(streams, out, sources, kinds)
    finally:
        out.close()
    return end


def _video_template(
    sources: list[list[Path]], kinds: dict[str, int]
) -> tuple[InputContainer, VideoStream]:
    """An open input container and its video stream (the caller closes it)."""
    c = av.open(str(sources[kinds["video"]][0]), mode="r")
    return c, c.streams.video[0]


def _audio_template(
    sources: list[list[Path]], kinds: dict[str, int]
) -> tuple[InputContainer, AudioStream]:
    """An open input container and its audio stream (the caller closes it)."""
    c = av.open(str(sources[kinds["audio"]][0]), mode="r")
    return c, c.streams.audio[0]


def _packets(sources: list[list[Path]], kinds: dict[str, int]) -> Iterator[Timed]:
    """(time s, kind, packet) from every source, merged in time order."""
    gens = [
        _source(files, {k for k, i in kinds.items() if i == n}) for n, files in enumerate(sources)
    ]
    return heapq.merge(*gens, key=lambda item: item[0])


def _source(files: list[Path], wanted: set[str]) -> Iterator[Timed]:
    """Packets of ``files`` played one after another. Each later file is shifted so that its
    first frame shows where the last one ended and its decode times still only grow."""
    end_pts = Fraction(0)  # where what was emitted stops showing
    next_dts = Fraction(0)  # the earliest decode time the next packet may have
    for index, path in enumerate(files):
        c = av.open(str(path), mode="r")
        try:
            streams: list[Stream] = []
            if "video" in wanted and c.streams.video:
                streams.append(c.streams.video[0])
            if "audio" in wanted and c.streams.audio:
                streams.append(c.streams.audio[0])
            start = Fraction(c.start_time or 0, av.time_base)
            shift: Fraction | None = Fraction(0) if index == 0 else None
            for pkt in c.demux(*streams):
                dts = pkt.dts if pkt.dts is not None else pkt.pts
                if dts is None:  # neither time: nothing to place it by
                    continue
                tb = pkt.time_base
                if shift is None:
                    shift = max(end_pts - start, next_dts - dts * tb)
                ticks = round(shift / tb)
                if ticks:
                    if pkt.pts is not None:
                        pkt.pts += ticks
                    if pkt.dts is not None:
                        pkt.dts += ticks
                    dts += ticks
                dur = pkt.duration or 0
                end_pts = max(end_pts, ((pkt.pts if pkt.pts is not None else dts) + dur) * tb)
                next_dts = max(next_dts, (dts + max(dur, 1)) * tb)
                yield float(dts * tb), pkt.stream.type, pkt
        finally:
            c.close()


def _copy(
    packets: Iterator[Timed],
    out: OutputContainer,
    sources: list[list[Path]],
    kinds: dict[str, int],
) -> float:
    targets: dict[str, Stream] = {}
    c, video = _video_template(sources, kinds)
    targets["video"] = out.add_stream_from_template(video)
    c.close()
    if "audio" in kinds:
        c, audio = _audio_template(sources, kinds)
        targets["audio"] = out.add_stream_from_template(audio)
        c.close()
    end = 0.0
    last_dts: dict[str, int] = {}
    for t, kind, pkt in packets:
        target = targets.get(kind)
        if target is None:
            continue
        if pkt.dts is not None:  # segment joins can repeat a timestamp; the muxer refuses that
            if kind in last_dts and pkt.dts <= last_dts[kind]:
                continue
            last_dts[kind] = pkt.dts
        end = max(end, t + float((pkt.duration or 0) * pkt.time_base))
        pkt.stream = target
        out.mux(pkt)
    return end


def _transcode(
    packets: Iterator[Timed],
    out: OutputContainer,
    sources: list[list[Path]],
    kinds: dict[str, int],
) -> float:
    c, vin = _video_template(sources, kinds)
    rate = vin.average_rate or Fraction(25)
    width, height = vin.codec_context.width, vin.codec_context.height
    c.close()
    vout = out.add_stream("libx264", rate=rate)
    vout.width, vout.height = width - width % 2, height - height % 2
    vout.pix_fmt = "yuv420p"
    vout.options = {"preset": "veryfast", "crf": "20"}
    vout.codec_context.time_base = Fraction(1, 90000)
    aout: AudioStream | None = None
    sample_rate = 48000
    if "audio" in kinds:
        c, ain = _audio_template(sources, kinds)
        sample_rate = ain.codec_context.sample_rate or sample_rate
        c.close()
        aout = out.add_stream("aac", rate=sample_rate)
        aout.codec_context.time_base = Fraction(1, sample_rate)
    end = 0.0
    last_v = -1
    for _t, kind, pkt in packets:
        if kind == "audio" and aout is None:
            continue
        for frame in pkt.decode():  # each input stream's own decoder
            if not isinstance(frame, av.VideoFrame | av.AudioFrame) or frame.pts is None:
                continue
            seconds = frame.pts * pkt.time_base
            end = max(end, float(seconds))
            if isinstance(frame, av.VideoFrame):
                frame = frame.reformat(width=vout.width, height=vout.height, format="yuv420p")
                pts = round(seconds * 90000)
                if pts <= last_v:
                    continue
                last_v = pts
                frame.pts, frame.time_base = pts, Fraction(1, 90000)
                out.mux(vout.encode(frame))
            elif isinstance(frame, av.AudioFrame) and aout is not None:
                frame.pts = round(seconds * sample_rate)
                frame.time_base = Fraction(1, sample_rate)
                out.mux(aout.encode(frame))
    out.mux(vout.encode(None))
    if aout is not None:
        out.mux(aout.encode(None))
    return end
