"""The accuracy benchmark's queries: two splits of frames, each edited by every family, plus
"not in the library" frames and GIF/MP4 clip queries; cached on disk by recipe.

- **Splits.** The tuning split (seed 7) is what settings are chosen on (the sweeps, the "not
  found" threshold); the report split (seed 11) is what the tables report. The report split
  draws its frames away from the tuning split's (no report frame within 1 s of a tuning frame
  of the same episode), so a setting tuned on one is checked on frames it has not seen.
- **Where frames come from.** A third from the film (Big Buck Bunny), two thirds from the
  rendered episodes, drawn at random among frames that are not black or flat. Screenshots are
  taken from the originals (the film's clips, the cartoons' lossless masters), never from the
  indexed encode.
- **Negatives.** Frames of the rendered episodes that are not indexed (same shows' style),
  under a few edit families: a right answer is "not found".
- **Clips.** From each of the first frames' times, a 1-2 s animated GIF (320 wide, 12 fps)
  and an MP4 (480x270, H.264) cut from the original.
- **Frame identity.** Every frame of every episode is hashed, so a time can be scored as right
  when it names a frame identical to the query's (held frames, drawings shown twice).
"""

from __future__ import annotations

import bisect
import hashlib
import inspect
import json
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench import edits
from bench.common import BenchPaths, say
from bench.corpus import Corpus, EpisodeClip
from bench.video import Encoder, decoded
from sabi.prepare.dedupe import is_black

SPLITS = {"tuning": 7, "report": 11}
NEGATIVE_FAMILIES = ("none", "jpeg30", "subtitles", "crop80", "phone", "typical")
CLIP_FAMILIES = ("clip_gif", "clip_mp4")
FILM_SHARE = 1 / 3  # of the frames drawn: the rest come from the rendered episodes
SEPARATION = 1.0  # seconds between a report frame and any tuning frame of the same episode


@dataclass(frozen=True)
class Query:
    family: str
    index: int
    episode: int
    filename: str
    t: float  # episode time of the frame (s); a clip's first frame
    path: Path
    kind: str = "film"  # "film" or "rendered"
    indexed: bool = True  # False: the episode is not in the library ("not found" is right)
    span: float = 0.0  # a clip query's length (s)


@dataclass
class QuerySet:
    split: str
    seed: int
    queries: list[Query]  # edited frames and clips of indexed episodes, then the negatives
    frames: FrameIndex = field(repr=False)

    @property
    def positives(self) -> list[Query]:
        return [q for q in self.queries if q.indexed]

    @property
    def negatives(self) -> list[Query]:
        return [q for q in self.queries if not q.indexed]

    def images(self) -> QuerySet:
        """The edited frames of indexed episodes only (no clips, no unindexed queries)."""
        image = [q for q in self.positives if q.family in edits.EDITS]
        return QuerySet(self.split, self.seed, image, self.frames)

    def counts(self) -> dict[str, int]:
        """How many queries of each kind: the table headers quote these."""
        pos = [q for q in self.positives if q.family == "none"]
        clips = [q for q in self.positives if q.family in CLIP_FAMILIES]
        return {
            "frames": len(pos),
            "film_frames": sum(q.kind == "film" for q in pos),
            "rendered_frames": sum(q.kind == "rendered" for q in pos),
            "positives": len(self.positives),
            "clips": len(clips),
            "negatives": len(self.negatives),
            "negative_frames": len({q.index for q in self.negatives}),
        }


class FrameIndex:
    """Hashes of every frame of every episode, to tell identical frames apart from similar
    ones: (filename) -> sorted episode times and their hashes."""

    def __init__(self, data: dict[str, tuple[list[float], list[str]]]):
        self.data = data

    def hash_at(self, filename: str, t: float) -> str | None:
        entry = self.data.get(filename)
        if entry is None or not entry[0]:
            return None
        times, hashes = entry
        i = bisect.bisect_left(times, t)
        best = min((j for j in (i - 1, i) if 0 <= j < len(times)), key=lambda j: abs(times[j] - t))
        return hashes[best]

    def fps(self, filename: str) -> float:
        """The episode's frame rate, from its frames' times (24 where unknown)."""
        times = self.data.get(filename, ([], []))[0]
        if len(times) < 2:
            return 24.0
        return float(1 / np.median(np.diff(times)))

    def same_frame(self, filename: str, a: float, b: float) -> bool:
        """Whether times ``a`` and ``b`` of an episode show the very same picture."""
        ha, hb = self.hash_at(filename, a), self.hash_at(filename, b)
        return ha is not None and ha == hb


def edits_version() -> str:
    return hashlib.sha1(inspect.getsource(edits).encode()).hexdigest()[:10]


def _frames(ep: EpisodeClip) -> Iterator[tuple[float, Any]]:
    """(episode time, PyAV frame) of the episode's original."""
    for t, frame in decoded(ep.source):
        if ep.offset - 1e-6 <= t < ep.offset + ep.duration - 1e-6:
            yield t - ep.offset, frame


def scan(paths: BenchPaths, corpus: Corpus) -> tuple[dict[str, list[float]], FrameIndex]:
    """Candidate times (not black, not flat) and frame hashes of every episode; cached."""
    eps = corpus.episodes + corpus.unindexed
    out = paths.work / f"frames-{'quick' if paths.quick else 'full'}.json"
    recipe = [[e.filename, str(e.source), e.offset, e.duration] for e in eps]
    if out.is_file():
        saved = json.loads(out.read_text())
        if saved["recipe"] == recipe:
            return saved["candidates"], FrameIndex(
                {k: (v[0], v[1]) for k, v in saved["hashes"].items()}
            )
    say("queries: scanning every frame of the episodes (once)")
    candidates: dict[str, list[float]] = {}
    hashes: dict[str, tuple[list[float], list[str]]] = {}
    for ep in eps:
        cand, times, digests = [], [], []
        for t, frame in _frames(ep):
            rgb = frame.to_ndarray(format="rgb24")
            times.append(round(t, 4))
            digests.append(hashlib.md5(rgb.tobytes()).hexdigest()[:16])
            small = frame.to_ndarray(width=64, height=36, format="rgb24")
            if not is_black(small, 24) and small.std() > 6:
                cand.append(round(t, 4))
        candidates[ep.filename], hashes[ep.filename] = cand, (times, digests)
    out.write_text(json.dumps({"recipe": recipe, "candidates": candidates, "hashes": hashes}))
    return candidates, FrameIndex(hashes)


def _draw(
    pool: list[tuple[str, float]], n: int, seed: int, avoid: Sequence[tuple[str, float]] = ()
) -> list[tuple[str, float]]:
    """A seeded draw of ``n`` from ``pool``, none within SEPARATION of an ``avoid`` frame."""
    taken: dict[str, list[float]] = {}
    for f, t in avoid:
        taken.setdefault(f, []).append(t)
    for times in taken.values():
        times.sort()

    def free(f: str, t: float) -> bool:
        times = taken.get(f, [])
        i = bisect.bisect_left(times, t - SEPARATION)
        return i == len(times) or times[i] > t + SEPARATION

    allowed = [(f, t) for f, t in pool if free(f, t)]
    rng = np.random.default_rng([seed, 1])
    n = min(n, len(allowed))
    return [allowed[i] for i in sorted(rng.choice(len(allowed), n, replace=False).tolist())]


def pick_frames(
    corpus: Corpus,
    candidates: dict[str, list[float]],
    n: int,
    seed: int,
    avoid: tuple[int, int] | None,
) -> list[tuple[str, float]]:
    """``n`` (filename, time) pairs: a third from the film, the rest rendered; away from the
    frames that ``avoid`` = (seed, n) picks (the other split)."""
    film = [
        (e.filename, t) for e in corpus.episodes if e.kind == "film" for t in candidates[e.filename]
    ]
    drawn = [
        (e.filename, t)
        for e in corpus.episodes
        if e.kind == "rendered"
        for t in candidates[e.filename]
    ]
    n_film = round(n * FILM_SHARE) if drawn else n
    other = pick_frames(corpus, candidates, avoid[1], avoid[0], None) if avoid else []
    return _draw(film, n_film, seed, other) + _draw(drawn, n - n_film, seed, other)


def negative_frames(
    corpus: Corpus, candidates: dict[str, list[float]], n: int, seed: int
) -> list[tuple[str, float]]:
    pool = [(e.filename, t) for e in corpus.unindexed for t in candidates[e.filename]]
    return _draw(pool, n, seed + 1000)


# ----- writing the query files


def make_split(
    paths: BenchPaths,
    corpus: Corpus,
    split: str,
    per_family: int,
    *,
    avoid: tuple[int, int] | None = None,
    clips: int = 0,
    negatives: int = 0,
) -> QuerySet:
    """One split's queries: ``per_family`` frames x every edit family, ``clips`` GIF + MP4
    clips, ``negatives`` unindexed frames x NEGATIVE_FAMILIES; cached on disk by recipe."""
    seed = SPLITS[split]
    candidates, frame_index = scan(paths, corpus)
    picks = pick_frames(corpus, candidates, per_family, seed, avoid)
    negs = negative_frames(corpus, candidates, negatives, seed)
    mode = "quick" if paths.quick else "full"
    root = paths.work / f"queries-{mode}-{split}-{per_family}x{clips}x{negatives}"
    recipe = json.loads(
        json.dumps(
            {
                "seed": seed,
                "families": list(edits.EDITS),
                "edits": edits_version(),
                "picks": picks,
                "negatives": negs,
                "clips": clips,
                "episodes": [
                    (e.filename, str(e.source), e.offset, e.duration) for e in corpus.episodes
                ],
            }
        )
    )
    manifest = root / "manifest.json"
    if manifest.is_file():
        saved = json.loads(manifest.read_text())
        if saved["recipe"] == recipe:
            queries = [Query(**{**q, "path": Path(q["path"])}) for q in saved["queries"]]
            return QuerySet(split, seed, queries, frame_index)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    say(
        f"queries [{split} split]: {len(picks)} frames x {len(edits.EDITS)} families, "
        f"{clips} clips x 2, {len(negs)} unindexed frames x {len(NEGATIVE_FAMILIES)}"
    )
    queries = _write_queries(root, corpus, seed, picks, negs, clips)
    order = [*edits.EDITS, *CLIP_FAMILIES]
    queries.sort(key=lambda q: (not q.indexed, order.index(q.family), q.index))
    manifest.write_text(
        json.dumps({"recipe": recipe, "queries": [asdict(q) for q in queries]}, default=str)
    )
    return QuerySet(split, seed, queries, frame_index)


def _write_queries(
    root: Path,
    corpus: Corpus,
    seed: int,
    picks: list[tuple[str, float]],
    negs: list[tuple[str, float]],
    n_clips: int,
) -> list[Query]:
    wanted = {(f, t): n for n, (f, t) in enumerate(picks)}
    unwanted = {(f, t): n for n, (f, t) in enumerate(negs)}
    rng = np.random.default_rng([seed, 2])
    windows: dict[str, list[tuple[int, float, float]]] = {}
    for n, (f, t) in enumerate(picks[:n_clips]):
        windows.setdefault(f, []).append((n, t, float(rng.uniform(1.0, 2.0))))
    queries: list[Query] = []
    for ep in corpus.episodes + corpus.unindexed:
        writers = [
            _ClipWriter(root, ep, n, start, span) for n, start, span in windows.get(ep.filename, [])
        ]
        for t, frame in _frames(ep):
            key = (ep.filename, round(t, 4))
            if key in wanted:
                queries += _edited(root, ep, frame, t, wanted[key], seed, list(edits.EDITS), True)
            if key in unwanted:
                queries += _edited(
                    root, ep, frame, t, unwanted[key], seed, NEGATIVE_FAMILIES, False
                )
            for w in writers:
                w.add(t, frame)
        for w in writers:
            queries += w.close()
    return queries


def _edited(
    root: Path,
    ep: EpisodeClip,
    frame: Any,
    t: float,
    n: int,
    seed: int,
    families: Sequence[str],
    indexed: bool,
) -> list[Query]:
    img = Image.fromarray(frame.to_ndarray(format="rgb24"))
    out = []
    for family in families:
        edit = edits.EDITS[family]
        folder = root / (family if indexed else f"unindexed-{family}")
        folder.mkdir(exist_ok=True)
        path = folder / f"{n:03d}.{edit.fmt.lower()}"
        path.write_bytes(edit.encode(edit.apply(img, edits.family_rng(seed, family, n))))
        out.append(Query(family, n, ep.number, ep.filename, t, path, ep.kind, indexed))
    return out


class _ClipWriter:
    """A 1-2 s stretch of an original as an animated GIF (320 wide, every second frame) and an
    MP4 (480x270, H.264 CRF 26), written as its frames go by."""

    def __init__(self, root: Path, ep: EpisodeClip, n: int, start: float, span: float):
        start = max(0.0, min(start, ep.duration - span))
        self.ep, self.n, self.start, self.end = ep, n, start, start + span
        self.first: float | None = None
        self.gif: list[Image.Image] = []
        for family in CLIP_FAMILIES:
            (root / family).mkdir(exist_ok=True)
        self.gif_path = root / "clip_gif" / f"{n:03d}.gif"
        self.mp4 = Encoder(root / "clip_mp4" / f"{n:03d}.mp4", (480, 270), 24, crf=26)
        self.count = 0

    def add(self, t: float, frame: Any) -> None:
        if not self.start - 1e-6 <= t < self.end:
            return
        if self.first is None:
            self.first = t
        self.mp4.add(frame)
        if self.count % 2 == 0:
            self.gif.append(frame.to_image().resize((320, 180), Image.Resampling.BILINEAR))
        self.count += 1

    def close(self) -> list[Query]:
        if self.first is None or not self.gif:
            self.mp4.close()
            return []
        span = self.end - self.first
        self.gif[0].save(
            self.gif_path, save_all=True, append_images=self.gif[1:], duration=83, loop=0
        )
        self.mp4.close()
        ep, t = self.ep, self.first
        return [
            Query(
                "clip_gif", self.n, ep.number, ep.filename, t, self.gif_path, ep.kind, True, span
            ),
            Query(
                "clip_mp4", self.n, ep.number, ep.filename, t, self.mp4.path, ep.kind, True, span
            ),
        ]


def make_queries(paths: BenchPaths, corpus: Corpus, per_family: int, seed: int) -> list[Query]:
    """Edited frames only, of the split whose seed is ``seed`` (what bench.store measures)."""
    split = next((name for name, s in SPLITS.items() if s == seed), None)
    if split is None:
        raise ValueError(f"no query split has seed {seed}: one of {SPLITS}")
    return make_split(paths, corpus, split, per_family).positives
