"""Inputs the stress runs share: a folder of short episodes (FFmpeg generators + the real
clips) and screenshot-like JPEG queries made from them."""

from __future__ import annotations

import io
import random
import shutil
from pathlib import Path

from PIL import Image

from bench.video import Encoder, decoded

SOURCES = (
    "mandelbrot=size=640x360:rate=24",
    "testsrc2=size=640x360:rate=24",
    "life=size=640x360:rate=24:seed=3:mold=10",
    "cellauto=size=640x360:rate=24:rule=110",
    "rgbtestsrc=size=640x360:rate=24",
    "smptehdbars=size=640x360:rate=24",
)


def synthetic_episodes(folder: Path, seconds: float, count: int = len(SOURCES)) -> list[Path]:
    """``count`` H.264 episodes of ``seconds`` each from FFmpeg's generators (kept if present)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, source in enumerate(SOURCES[:count], 1):
        path = folder / f"Stress Show - {i:02d}.mp4"
        if not path.exists():
            enc = Encoder(path, (640, 360), 24, preset="ultrafast")
            for t, frame in decoded(source, fmt="lavfi"):
                if t >= seconds:
                    break
                enc.add(frame)
            enc.close()
        out.append(path)
    return out


def copy_clips(media: Path, folder: Path, first_number: int) -> list[Path]:
    """The real clips, copied in as further episodes of the same show."""
    out = []
    for i, clip in enumerate(sorted(media.glob("*.*")), first_number):
        if clip.suffix not in (".mp4", ".webm", ".mkv"):
            continue
        path = folder / f"Stress Show - {i:02d}{clip.suffix}"
        if not path.exists():
            shutil.copy(clip, path)
        out.append(path)
    return out


def screenshot_queries(videos: list[Path], count: int, seed: int) -> list[bytes]:
    """``count`` 1280x720 JPEGs (quality 85) of frames at seeded random times, as a player's
    screenshot would be: the frame scaled up to 720p."""
    rng = random.Random(seed)
    wanted: dict[Path, list[float]] = {}
    for _ in range(count):
        wanted.setdefault(rng.choice(videos), []).append(rng.uniform(0.0, 0.9))
    out = []
    for video, fractions in wanted.items():
        frames = [f for _, f in decoded(video)]
        for fraction in fractions:
            img = frames[int(fraction * len(frames))].to_image().resize((1280, 720))
            buf = io.BytesIO()
            img.convert("RGB").save(buf, "JPEG", quality=85)
            out.append(buf.getvalue())
    return out


def as_image(body: bytes) -> Image.Image:
    return Image.open(io.BytesIO(body))
