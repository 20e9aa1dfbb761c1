"""Make the demo's query: a frame of a sample clip as a phone screenshot would be (letterboxed,
scaled, JPEG-compressed), so the demo shows a search that is not a pixel-exact copy."""

from __future__ import annotations

import sys
from pathlib import Path

import av
from PIL import Image


def main(samples: Path, out: Path, at: float = 12.3) -> None:
    clip = sorted(samples.glob("*01.webm"))[0]
    with av.open(str(clip)) as c:
        frame = next(f for f in c.decode(video=0) if f.time is not None and f.time >= at)
    img = frame.to_image().resize((640, 360))
    canvas = Image.new("RGB", (640, 480))
    canvas.paste(img, (0, 60))
    canvas.save(out, quality=40)
    print(f"query: {clip.name} at {frame.time:.2f} s, letterboxed to 640x480, JPEG q40 -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
