"""AMV breakdown: a clip cut from several indexed episodes, and how many of its shots
``Sabi.shots`` names right.

An "AMV" here is 8-12 shots of 1.5-3 s, each from one shot of an indexed episode (a third from
the film, the rest from the rendered shows; a rendered piece never crosses its episode's shot
boundary), joined with hard cuts and re-encoded at 854x480 (another size than any source), 24
fps. A shot is named right when the detected shot that overlaps it most has a result from the
right file whose range, widened by 1 s each side, holds the true episode time of the piece's
middle.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import BenchPaths, say
from bench.corpus import Corpus, EpisodeClip
from bench.video import Encoder, decoded
from sabi.app import Sabi

SIZE = (854, 480)
FPS = 24
TOLERANCE = 1.0


@dataclass(frozen=True)
class Piece:
    start: float  # in the AMV (s)
    end: float
    filename: str
    kind: str
    source_from: float  # episode time of the piece's first frame
    source_to: float

    @property
    def middle(self) -> float:
        return (self.source_from + self.source_to) / 2


def _segments(ep: EpisodeClip) -> list[tuple[float, float]]:
    """Where a piece may come from: a rendered episode's shots, or the whole film episode."""
    if ep.truth is None:
        return [(0.0, ep.duration)]
    return [(s["start"], s["end"]) for s in json.loads(ep.truth.read_text())["shots"]]


def plan(corpus: Corpus, seed: int) -> list[tuple[EpisodeClip, float, float]]:
    """(episode, from, to) of each piece, in AMV order."""
    rng = np.random.default_rng([seed, 3])
    film = [e for e in corpus.episodes if e.kind == "film" and e.duration >= 3]
    drawn = [e for e in corpus.episodes if e.kind == "rendered"]
    n = int(rng.integers(8, 13))
    out = []
    for i in range(n):
        pool = film if (i % 3 == 0 and film) or not drawn else drawn
        ep = pool[int(rng.integers(len(pool)))]
        segs = [s for s in _segments(ep) if s[1] - s[0] >= 1.6]
        a, b = segs[int(rng.integers(len(segs)))]
        length = float(min(rng.uniform(1.5, 3.0), b - a - 0.2))
        start = float(rng.uniform(a + 0.05, max(a + 0.05, b - length - 0.05)))
        out.append((ep, start, start + length))
    return out


def build(paths: BenchPaths, corpus: Corpus, seed: int) -> tuple[Path, list[Piece]]:
    """Write the AMV (cached by recipe) and return it with its pieces."""
    pieces_plan = plan(corpus, seed)
    out = paths.work / f"amv-{'quick' if paths.quick else 'full'}-{seed}.mp4"
    truth = out.with_suffix(".json")
    recipe = [[e.filename, str(e.source), round(a, 4), round(b, 4)] for e, a, b in pieces_plan]
    if out.is_file() and truth.is_file():
        saved = json.loads(truth.read_text())
        if saved["recipe"] == recipe:
            return out, [Piece(**p) for p in saved["pieces"]]
    say(f"amv: cutting {len(pieces_plan)} shots into {out.name}")
    enc = Encoder(out, SIZE, FPS, crf=23)
    pieces = []
    for ep, a, b in pieces_plan:
        start = enc.frames / FPS
        first = last = None
        for t, frame in decoded(ep.source):
            te = t - ep.offset
            if te < a - 1e-6:
                continue
            if te >= b:
                break
            # resample to 24 fps: a source frame is written as often as its duration needs
            while enc.frames / FPS < start + (te - a) + 1 / FPS - 1e-6:
                enc.add(frame)
                first = te if first is None else first
                last = te
        if first is not None and last is not None:
            pieces.append(
                Piece(start, enc.frames / FPS, ep.filename, ep.kind, first, last + 1 / FPS)
            )
    enc.close()
    truth.write_text(json.dumps({"recipe": recipe, "pieces": [asdict(p) for p in pieces]}))
    return out, pieces


def available() -> bool:
    return callable(getattr(Sabi, "shots", None))


def measure(sabi: Sabi, clip: Path, pieces: Sequence[Piece]) -> dict[str, Any]:
    """Run ``Sabi.shots`` on the clip and score every piece."""
    t0 = time.perf_counter()
    response: Any = sabi.shots(clip.read_bytes())  # type: ignore[attr-defined,unused-ignore]
    seconds = time.perf_counter() - t0
    detected = [
        {
            "start": float(s.start),
            "end": float(s.end),
            "filename": s.result.filename if s.result is not None else None,
            "from": float(s.result.from_) if s.result is not None else None,
            "to": float(s.result.to) if s.result is not None else None,
            "at": float(s.result.at) if s.result is not None else None,
        }
        for s in response.shots
    ]
    scored = [_score(p, detected) for p in pieces]
    return {
        "clip": clip.name,
        "seconds": seconds,
        "pieces": [asdict(p) | s for p, s in zip(pieces, scored, strict=True)],
        "detected": detected,
        "right": sum(s["right"] for s in scored),
        "n": len(pieces),
    }


def _score(p: Piece, detected: list[dict[str, Any]]) -> dict[str, Any]:
    def overlap(d: dict[str, Any]) -> float:
        return max(0.0, min(p.end, float(d["end"])) - max(p.start, float(d["start"])))

    best = max(detected, key=overlap, default=None)
    if best is None or overlap(best) <= 0 or best["filename"] is None:
        return {"right": False, "file_right": False, "named": None}
    file_right = best["filename"] == p.filename
    in_range = best["from"] - TOLERANCE <= p.middle <= best["to"] + TOLERANCE
    return {"right": file_right and in_range, "file_right": file_right, "named": best["filename"]}


def skip_reason() -> str:
    return (
        "skipped: Sabi.shots is not in this checkout (the breakdown is being built on another "
        "branch); rerun after merging"
    )
