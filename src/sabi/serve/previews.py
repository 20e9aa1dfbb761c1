"""Preview stills and clips, cut from the indexed video files with PyAV (no system FFmpeg).

A clip reaches at most ``preview_seconds`` either side of the matched moment and never crosses
a shot change: the cuts stored at index time bound the window (they are known to within one
sampling step), and the same detector, run on every decoded frame, finds the exact frame. The
output is H.264 in MP4 with the index at the front (faststart), which every browser plays.
Results are kept in a size-capped disk cache, keyed by the file's size and mtime too, so a
re-encoded episode never serves a stale preview.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.video.stream import VideoStream
from PIL import Image

if TYPE_CHECKING:
    from av.rational import AVRational

    Rate = AVRational | Fraction

from sabi.catalog import Catalog
from sabi.errors import PreviewMissing
from sabi.prepare.decode import stream_start
from sabi.prepare.shots import ShotDetector
from sabi.prepare.window import frames_from, seek
from sabi.settings import Settings

log = logging.getLogger(__name__)

WIDTHS = {"s": 160, "m": 320, "l": 640}
AUDIO_RATE = 48000
AAC_FRAME = 1024
Frames = list[tuple[float, np.ndarray]]  # (time in s, decoded picture or audio samples)


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    offset: float = 0.0  # where the matched moment is in a clip (s)


@dataclass(frozen=True)
class Window:
    start: float
    end: float


def clip_window(at: float, cuts: list[float], half: float, step: float, end: float) -> Window:
    """Where to look for the clip: ±half around ``at``, inside the shot the stored cuts allow.

    A stored cut is the first sampled frame of a new shot, so the shot containing ``at`` began
    after (previous cut - step) and ends before the next cut."""
    before = [c for c in cuts if c <= at]
    after = [c for c in cuts if c > at]
    lo = max(0.0, at - half, (before[-1] - step) if before else 0.0)
    hi = min(at + half, after[0] if after else float("inf"))
    if end > 0:
        hi = min(hi, end)
    return Window(lo, max(lo, hi))


def _even(n: float) -> int:
    return max(2, int(round(n / 2)) * 2)


def _size(width: int, height: int, target: int, sar: float = 1.0) -> tuple[int, int]:
    aspect = width * (sar or 1.0) / max(1, height)
    return _even(target), _even(target / aspect)


def _open(path: str) -> InputContainer:
    try:
        return av.open(path)
    except (av.FFmpegError, OSError) as exc:
        raise PreviewMissing("the video file of this episode cannot be opened") from exc


def still(path: str, at: float, size: str, fmt: str) -> Rendered:
    """The frame shown at ``at`` seconds, ``size`` wide, as JPEG or WebP."""
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start = stream_start(container, stream)
        chosen = None
        for t, frame in frames_from(container, stream, at - 0.001, start):
            chosen = frame
            if t >= at - 0.001:
                break
        if chosen is None:
            raise PreviewMissing("no frame could be decoded at this moment")
        sar = float(stream.sample_aspect_ratio or 1)
        w, h = _size(chosen.width, chosen.height, WIDTHS[size], sar)
        img = Image.fromarray(chosen.to_ndarray(width=w, height=h, format="rgb24"))
    finally:
        container.close()
    buf = io.BytesIO()
    if fmt == "webp":
        img.save(buf, "WEBP", quality=80, method=4)
        return Rendered(buf.getvalue(), "image/webp")
    img.save(buf, "JPEG", quality=85, optimize=True)
    return Rendered(buf.getvalue(), "image/jpeg")


def clip(path: str, at: float, window: Window, size: str, mute: bool) -> Rendered:
    """An MP4 (H.264, AAC unless muted) of the shot around ``at`` within ``window``."""
    container = _open(path)
    try:
        vstream = container.streams.video[0]
        vstream.thread_type = "AUTO"
        astream = None if mute or not container.streams.audio else container.streams.audio[0]
        start = stream_start(container, vstream)
        rate = vstream.average_rate or vstream.guessed_rate or Fraction(25)
        sar = float(vstream.sample_aspect_ratio or 1)
        shot = _Shot(at, window, WIDTHS[size], sar, audio=astream is not None)
        _collect(container, vstream, astream, start, shot)
    finally:
        container.close()
    if not shot.frames:
        raise PreviewMissing("no frame could be decoded around this moment")
    t_start, t_end = shot.bounds()
    body = _encode(shot.frames, shot.audio, t_start, t_end, rate)
    return Rendered(body, "video/mp4", round(max(0.0, at - t_start), 3))


class _Shot:
    """The decoded frames of the shot around ``at`` inside ``window``, and the audio beside
    them: a shot change before ``at`` starts the shot over, one after it ends the shot."""

    def __init__(self, at: float, window: Window, width: int, sar: float, audio: bool):
        self.at, self.window, self.width, self.sar = at, window, width, sar
        self.detector = ShotDetector()
        self.resampler = (
            av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE) if audio else None
        )
        self.frames: Frames = []
        self.audio: Frames = []
        self.dims: tuple[int, int] | None = None
        self.start, self.end = window.start, window.end
        self.done = False

    def picture(self, t: float, frame: av.VideoFrame) -> None:
        if t < self.window.start - 1e-3:
            return
        if t >= self.window.end - 1e-3 and t > self.at:
            self.done = True
            return
        if self.dims is None:
            self.dims = _size(frame.width, frame.height, self.width, self.sar)
        rgb = frame.to_ndarray(width=self.dims[0], height=self.dims[1], format="rgb24")
        if self.detector.feed(rgb):
            if t > self.at + 1e-3:
                self.done, self.end = True, t  # the next shot starts here
                return
            self.frames.clear()  # the matched shot starts here
            self.start = t
        self.frames.append((t, rgb))

    def sound(self, t: float, frame: av.AudioFrame) -> None:
        if self.resampler is None or not self.window.start - 0.1 <= t < self.window.end + 0.1:
            return
        for out in self.resampler.resample(frame):
            self.audio.append((t, out.to_ndarray()))
            t += out.samples / AUDIO_RATE

    def bounds(self) -> tuple[float, float]:
        """Where the clip starts and ends (s): its first frame, and the next shot's first
        frame, the window's end, or one frame past its last."""
        if not self.frames:
            return self.start, self.end
        first, last = self.frames[0][0], self.frames[-1][0]
        if self.done:
            return first, self.end
        step = last - self.frames[-2][0] if len(self.frames) > 1 else 0.04
        return first, last + step


def _collect(
    container: InputContainer,
    vstream: VideoStream,
    astream: AudioStream | None,
    start: float,
    shot: _Shot,
) -> None:
    seek(container, vstream, shot.window.start, start)
    streams = [vstream] if astream is None else [vstream, astream]
    for packet in container.demux(*streams):
        try:
            decoded = packet.decode()
        except av.FFmpegError:
            continue
        for frame in decoded:
            if isinstance(frame, av.VideoFrame) and frame.time is not None:
                shot.picture(float(frame.time) - start, frame)
            elif isinstance(frame, av.AudioFrame) and frame.time is not None:
                shot.sound(float(frame.time) - start, frame)
            if shot.done:
                return


def _encode(frames: Frames, audio: Frames, t_start: float, t_end: float, rate: Rate) -> bytes:
    # faststart rewrites the file to put the index first, which needs a real file.
    with tempfile.TemporaryDirectory(prefix="sabi-clip-") as tmp:
        target = Path(tmp) / "clip.mp4"
        _write_mp4(target, frames, audio, t_start, t_end, rate)
        return target.read_bytes()


def _write_mp4(
    target: Path, frames: Frames, audio: Frames, t_start: float, t_end: float, rate: Rate
) -> None:
    out = av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"})
    h, w = frames[0][1].shape[:2]
    video = out.add_stream("libx264", rate=rate)
    video.width, video.height = w, h
    video.pix_fmt = "yuv420p"
    video.options = {"preset": "veryfast", "crf": "26", "profile": "high"}
    video.codec_context.time_base = Fraction(1, 1000)
    samples = _audio_track(audio, t_start, t_end)
    astream = None
    if samples is not None:
        astream = out.add_stream("aac", rate=AUDIO_RATE)
        astream.layout = "stereo"
        astream.bit_rate = 96_000
    last = -1
    for t, rgb in frames:
        vf = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        pts = max(last + 1, int(round((t - t_start) * 1000)))
        vf.pts, vf.time_base, last = pts, Fraction(1, 1000), pts
        for packet in video.encode(vf):
            out.mux(packet)
    for packet in video.encode():
        out.mux(packet)
    if astream is not None and samples is not None:
        for i in range(0, samples.shape[1], AAC_FRAME):
            chunk = np.ascontiguousarray(samples[:, i : i + AAC_FRAME])
            af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            af.sample_rate, af.pts, af.time_base = AUDIO_RATE, i, Fraction(1, AUDIO_RATE)
            for packet in astream.encode(af):
                out.mux(packet)
        for packet in astream.encode():
            out.mux(packet)
    out.close()


def _audio_track(audio: Frames, t_start: float, t_end: float) -> np.ndarray | None:
    """The decoded audio between t_start and t_end as one (2, n) array, silence-padded."""
    if not audio:
        return None
    total = max(1, int(round((t_end - t_start) * AUDIO_RATE)))
    track = np.zeros((2, total), np.float32)
    for t, arr in audio:
        arr = arr.reshape(2, -1) if arr.ndim == 2 else arr.reshape(1, -1).repeat(2, 0)
        offset = int(round((t - t_start) * AUDIO_RATE))
        lo, hi = max(0, offset), min(total, offset + arr.shape[1])
        if hi > lo:
            track[:, lo:hi] = arr[:, lo - offset : hi - offset]
    return track


class PreviewCache:
    """Encoded previews on disk, oldest thrown away once the folder passes its size."""

    def __init__(self, folder: Path, max_bytes: int):
        self.folder = folder
        self.max_bytes = max_bytes
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._writes = 0
        if max_bytes > 0:
            folder.mkdir(parents=True, exist_ok=True)

    def key(self, *parts: object) -> str:
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]

    def get_or_make(self, key: str, media_type: str, make: Callable[[], Rendered]) -> Rendered:
        if self.max_bytes <= 0:
            return make()
        path = self.folder / key
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # one encode per preview, however many ask for it at once
            try:
                body = path.read_bytes()
                os.utime(path)
                head, _, body = body.partition(b"\n")
                return Rendered(body, media_type, float(head))
            except (FileNotFoundError, ValueError):
                pass
            rendered = make()
            self._store(path, rendered)
        with self._guard:
            self._locks.pop(key, None)
            self._writes += 1
            if self._writes % 20 == 1:
                self._trim()
        return rendered

    def _store(self, path: Path, rendered: Rendered) -> None:
        """Write a preview whole, then rename it into place: readers (threads here, other
        server processes sharing the folder) see the old file, none, or the new one, never a
        part. The temporary name is unique across processes and hosts (two replicas may render
        the same preview at once; the last rename wins and both files are the same)."""
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            tmp.write_bytes(f"{rendered.offset}\n".encode() + rendered.body)
            tmp.replace(path)
        except OSError:
            tmp.unlink(missing_ok=True)
            log.warning("could not cache a preview in %s", self.folder, exc_info=True)

    def _trim(self) -> None:
        """Oldest first, down to 80% of the cap. Another process may trim the same folder at
        once: a file gone meanwhile is skipped; temporary files being written are left alone."""
        entries = []
        try:
            for e in os.scandir(self.folder):
                if e.name.startswith("."):
                    continue
                try:
                    st = e.stat()
                except OSError:
                    continue
                entries.append((st.st_mtime, st.st_size, e.path))
        except OSError:
            return
        total = sum(size for _m, size, _p in entries)
        if total <= self.max_bytes:
            return
        for _mtime, size, p in sorted(entries):
            if total <= self.max_bytes * 0.8:
                break
            try:
                os.unlink(p)
                total -= size
            except OSError:
                pass


class Previews:
    """What the /image and /video routes call: looks the episode up, renders, caches."""

    def __init__(self, settings: Settings, catalog: Catalog):
        self.settings = settings
        self.catalog = catalog
        self.cache = PreviewCache(settings.previews, settings.preview_cache_mb * 1024 * 1024)

    def _episode(self, episode_id: int) -> tuple[str, float, tuple[int, int]]:
        view = self.catalog.views([episode_id]).get(episode_id)
        if view is None:
            raise PreviewMissing("this episode is no longer in the index")
        try:
            st = os.stat(view.path)
        except OSError as exc:
            raise PreviewMissing("the video file of this episode is missing") from exc
        return view.path, view.duration, (st.st_size, st.st_mtime_ns)

    def image(self, episode_id: int, at: float, size: str, fmt: str) -> Rendered:
        path, _duration, state = self._episode(episode_id)
        media = "image/webp" if fmt == "webp" else "image/jpeg"
        key = self.cache.key("image", episode_id, state, round(at, 3), size, fmt)
        return self.cache.get_or_make(key, media, lambda: still(path, at, size, fmt))

    def video(self, episode_id: int, at: float, size: str, mute: bool) -> Rendered:
        path, duration, state = self._episode(episode_id)
        s = self.settings
        window = clip_window(
            at, self.catalog.cuts(episode_id), s.preview_seconds, 1 / s.rate, duration
        )
        key = self.cache.key("video", episode_id, state, round(at, 3), size, mute, window)
        t0 = time.perf_counter()
        rendered = self.cache.get_or_make(
            key, "video/mp4", lambda: clip(path, at, window, size, mute)
        )
        log.debug("video preview %s@%.2f in %.2fs", episode_id, at, time.perf_counter() - t0)
        return rendered
