"""Media as Bilibili's CDN serves it, made from the real clips in ../shared/media with PyAV.

* DASH: a video-only and an audio-only fragmented MP4 (``.m4s``), H.264 / AAC.
* durl: FLV segments (H.264), the second one's timestamps starting again at 0.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av

FRAG = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}


def _video_m4s(src: Path, dest: Path, seconds: float | None, size: tuple[int, int] | None) -> Path:
    with av.open(str(src)) as c:
        vin = c.streams.video[0]
        out = av.open(str(dest), "w", format="mp4", options=FRAG)
        if vin.codec_context.name == "h264" and size is None:
            vout = out.add_stream_from_template(vin)
            for pkt in c.demux(vin):
                if pkt.dts is None:
                    continue
                if (
                    seconds is not None
                    and pkt.is_keyframe
                    and float(pkt.pts * pkt.time_base) >= seconds
                ):
                    break
                pkt.stream = vout
                out.mux(pkt)
        else:
            r = vin.average_rate
            rate = Fraction(r.numerator, r.denominator) if r else Fraction(24)
            w, h = size or (vin.codec_context.width, vin.codec_context.height)
            vout = out.add_stream("libx264", rate=rate)
            vout.width, vout.height, vout.pix_fmt = w, h, "yuv420p"
            vout.options = {"preset": "ultrafast", "g": "48"}
            vout.codec_context.time_base = Fraction(1, int(round(rate)))
            for i, frame in enumerate(c.decode(vin)):
                if seconds is not None and frame.time is not None and frame.time >= seconds:
                    break
                f = frame.reformat(width=w, height=h, format="yuv420p")
                f.pts, f.time_base = i, Fraction(1, int(round(rate)))
                for p in vout.encode(f):
                    out.mux(p)
            for p in vout.encode(None):
                out.mux(p)
        out.close()
    return dest


def _audio_m4s(src: Path, dest: Path, seconds: float | None) -> Path | None:
    with av.open(str(src)) as c:
        if not c.streams.audio:
            return None
        ain = c.streams.audio[0]
        out = av.open(str(dest), "w", format="mp4", options=FRAG)
        if ain.codec_context.name == "aac":
            aout = out.add_stream_from_template(ain)
            for pkt in c.demux(ain):
                if pkt.dts is None:
                    continue
                if seconds is not None and float(pkt.pts * pkt.time_base) >= seconds:
                    break
                pkt.stream = aout
                out.mux(pkt)
        else:
            rate = ain.codec_context.sample_rate
            aout = out.add_stream("aac", rate=rate)
            for frame in c.decode(ain):
                if seconds is not None and frame.time is not None and frame.time >= seconds:
                    break
                frame.pts = None
                for p in aout.encode(frame):
                    out.mux(p)
            for p in aout.encode(None):
                out.mux(p)
        out.close()
    return dest


def dash_parts(
    src: Path,
    out_dir: Path,
    name: str,
    *,
    seconds: float | None = None,
    size: tuple[int, int] | None = None,
) -> tuple[Path, Path | None]:
    """(video .m4s, audio .m4s or None) for ``src``; non-H.264 video is encoded at ``size``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    video = _video_m4s(src, out_dir / f"{name}-video.m4s", seconds, size)
    audio = _audio_m4s(src, out_dir / f"{name}-audio.m4s", seconds)
    return video, audio


def durl_segments(src: Path, out_dir: Path, name: str, *, cut_at: float) -> list[Path]:
    """``src`` (H.264) cut at the first keyframe after ``cut_at`` into FLV segments, the second
    starting again at time 0 (as Bilibili's segments do)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}-1.flv", out_dir / f"{name}-2.flv"]
    with av.open(str(src)) as c:
        vin = c.streams.video[0]
        outs = [av.open(str(p), "w", format="flv") for p in paths]
        vouts = [o.add_stream_from_template(vin) for o in outs]
        seg, base = 0, None
        for pkt in c.demux(vin):
            if pkt.dts is None:
                continue
            if seg == 0 and pkt.is_keyframe and float(pkt.pts * pkt.time_base) >= cut_at:
                seg, base = 1, pkt.dts
            if seg == 1:
                pkt.pts -= base
                pkt.dts -= base
            pkt.stream = vouts[seg]
            outs[seg].mux(pkt)
        for o in outs:
            o.close()
    return paths
