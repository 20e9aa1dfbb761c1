"""Benchmark media, built once and cached under the work folder.

- The "show": the Big Buck Bunny clips in ../shared/media cut into five "episodes" (the 30 s
  clip at its two shot changes, plus the two short clips), re-encoded to H.264, so the index
  holds another encode than the one the screenshots are taken from (as in real life).
- Distractors: bikes.mp4 and FFmpeg's synthetic sources (life, gradients, mandelbrot, ...), so
  the index is not five episodes of one film.
- Rendered cartoons (``bench.cartoon``): shows A and B, three ~60 s episodes each, indexed
  (each its own show); one more episode of show A and two of show C are rendered but never
  indexed: the "not in the library" queries, in the same style (hard negatives). Each is kept
  as a lossless master (what screenshots are taken from) beside the indexed H.264 encode, with
  its ground-truth shot list (JSON).
- Long sources for the indexing-speed benchmark: the clips looped to 10+ minutes at 480p/720p.

Everything is encoded in-process with PyAV (its wheel bundles FFmpeg and x264).
"""

from __future__ import annotations

import bisect
import hashlib
import inspect
import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import av

from bench.common import BenchPaths, say
from bench.video import Encoder, decoded

SHOW = "Big Buck Bunny"
DISTRACTOR_SHOW = "Distractors"
# Shot changes of big_buck_bunny_0_30.webm (sabi.prepare.shots at full frame rate): the
# episodes are cut there so that no shot is split between two of them.
CUTS_0_30 = (11.79, 22.96)
VERSION = 2  # bump when the media recipe changes, so caches are rebuilt


@dataclass(frozen=True)
class EpisodeClip:
    """One indexed episode and where its frames come from in the original clip."""

    number: int
    path: Path  # the re-encoded file that is indexed
    source: Path  # the original clip the screenshots are taken from
    offset: float  # source time (s) of the episode's t = 0
    duration: float
    show: str = SHOW
    truth: Path | None = None  # a rendered episode's ground-truth shot list

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def kind(self) -> str:
        """ "film" (Big Buck Bunny) or "rendered" (bench.cartoon)."""
        return "rendered" if self.truth is not None else "film"


@dataclass(frozen=True)
class Corpus:
    episodes: list[EpisodeClip]  # every indexed episode: the film's and the rendered shows'
    show_dir: Path  # the film's folder (Big Buck Bunny)
    distractor_dir: Path
    distractor_seconds: float
    show_dirs: dict[str, Path] = field(default_factory=dict)  # show -> folder, film included
    unindexed: list[EpisodeClip] = field(default_factory=list)  # never indexed: "not found"

    @property
    def show_seconds(self) -> float:
        return sum(e.duration for e in self.episodes)

    def seconds_of(self, kind: str) -> float:
        return sum(e.duration for e in self.episodes if e.kind == kind)


def _cached(marker: Path, recipe: dict[str, Any]) -> bool:
    return marker.is_file() and json.loads(marker.read_text()) == recipe


def _mark(marker: Path, recipe: dict[str, Any]) -> None:
    marker.write_text(json.dumps(recipe))


# ----- the accuracy corpus


def distractor_sources(quick: bool) -> list[tuple[str, str, float]]:
    """(name, lavfi graph, seconds): FFmpeg's generators, varied in seed, colour and motion."""
    s = "s=640x360:r=12"
    full = [
        ("life-green", f"life={s}:mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00:seed=1"),
        ("life-blue", f"life={s}:mold=25:ratio=0.3:death_color=#202080:life_color=#ffe0a0:seed=7"),
        ("gradients-a", f"gradients={s}:speed=0.03:seed=3:nb_colors=3"),
        ("gradients-b", f"gradients={s}:speed=0.01:seed=11:nb_colors=6:type=radial"),
        (
            "mandelbrot",
            "mandelbrot=s=320x180:r=12:maxiter=300:end_pts=60:end_scale=0.05,scale=640:360",
        ),
        ("sierpinski", f"sierpinski={s}:seed=5:jump=50"),
        ("cellauto", f"cellauto={s}:rule=30:seed=2,hue=h=t*20"),
        ("testsrc2", f"testsrc2={s},hue=h=t*10"),
        ("sierpinski-b", f"sierpinski={s}:seed=9:jump=20:type=triangle,hue=h=120"),
        ("gradients-c", f"gradients={s}:speed=0.05:seed=21:nb_colors=4:type=circular"),
    ]
    if quick:
        return [(n, g, 20.0) for n, g in full[:3]]
    return [(n, g, 60.0) for n, g in full]


def build_corpus(paths: BenchPaths) -> Corpus:
    root = paths.work / ("corpus-quick" if paths.quick else "corpus")
    show_dir, distractor_dir = root / SHOW, root / DISTRACTOR_SHOW
    show_dir.mkdir(parents=True, exist_ok=True)
    distractor_dir.mkdir(parents=True, exist_ok=True)
    media = paths.media
    episodes = _show_episodes(media, show_dir)
    seconds = 0.0
    bikes = media / "bikes.mp4"
    if bikes.is_file():
        shutil.copyfile(bikes, distractor_dir / "Distractors - 01 bikes.mp4")
        seconds += 10.0
    for i, (name, graph, length) in enumerate(distractor_sources(paths.quick), start=2):
        out = distractor_dir / f"Distractors - {i:02d} {name}.mp4"
        recipe = {"v": VERSION, "graph": graph, "seconds": length}
        marker = out.with_suffix(".json")
        if not (out.is_file() and _cached(marker, recipe)):
            say(f"corpus: generating {out.name}")
            enc = Encoder(out, (640, 360), 12, crf=23)
            for t, frame in decoded(graph, "lavfi"):
                if t >= length:
                    break
                enc.add(frame)
            enc.close()
            _mark(marker, recipe)
        seconds += length
    rendered, unindexed = _cartoon_episodes(root, paths.quick)
    show_dirs = {SHOW: show_dir} | {e.show: e.path.parent for e in rendered}
    return Corpus(episodes + rendered, show_dir, distractor_dir, seconds, show_dirs, unindexed)


def cartoon_plan(quick: bool) -> list[tuple[str, int, float, bool]]:
    """(show key, episode number, seconds, indexed) of every rendered episode."""
    if quick:
        indexed = [(show, n, 20.0, True) for show in "AB" for n in (1, 2)]
        return [*indexed, ("A", 3, 20.0, False), ("C", 1, 20.0, False)]
    indexed = [(show, n, 60.0, True) for show in "AB" for n in (1, 2, 3)]
    return [*indexed, ("A", 4, 60.0, False), ("C", 1, 60.0, False), ("C", 2, 60.0, False)]


def _cartoon_episodes(root: Path, quick: bool) -> tuple[list[EpisodeClip], list[EpisodeClip]]:
    """Render (once; cached by recipe) the cartoon episodes: the indexed encode (CRF 20, in the
    show's folder) and a lossless master (in masters/, never indexed) for each."""
    from bench import cartoon

    code = hashlib.sha1(inspect.getsource(cartoon).encode()).hexdigest()[:10]
    masters = root / "masters"
    masters.mkdir(parents=True, exist_ok=True)
    indexed: list[EpisodeClip] = []
    unindexed: list[EpisodeClip] = []
    for key, number, seconds, is_indexed in cartoon_plan(quick):
        title = cartoon.SHOWS[key].title
        name = f"{title} - {number:02d}.mp4"
        master, truth = masters / name, masters / f"{title} - {number:02d}.json"
        path = root / title / name if is_indexed else master
        recipe = {"v": VERSION, "show": key, "n": number, "s": seconds, "code": code}
        marker = masters / f"{title} - {number:02d}.recipe"
        if not (master.is_file() and path.is_file() and _cached(marker, recipe)):
            say(f"corpus: rendering {name}")
            path.parent.mkdir(parents=True, exist_ok=True)
            outs = [Encoder(master, cartoon.SIZE, cartoon.FPS, crf=0, preset="ultrafast")]
            if is_indexed:
                outs.append(Encoder(path, cartoon.SIZE, cartoon.FPS))
            shots = cartoon.render_episode(key, number, seconds, outs)
            for enc in outs:
                enc.close()
            cartoon.write_truth(truth, cartoon.ground_truth(key, number, shots))
            _mark(marker, recipe)
        duration = json.loads(truth.read_text())["seconds"]
        clip = EpisodeClip(number, path, master, 0.0, duration, title, truth)
        (indexed if is_indexed else unindexed).append(clip)
    return indexed, unindexed


def _show_episodes(media: Path, show_dir: Path) -> list[EpisodeClip]:
    """Five episodes: big_buck_bunny_0_30 cut at its shot changes, then the two short clips."""
    plan = [
        (media / "big_buck_bunny_0_30.webm", (0.0, *CUTS_0_30, 1e9)),
        (media / "big_buck_bunny_clip.mp4", (0.0, 1e9)),
        (media / "big_buck_bunny_432_433.webm", (0.0, 1e9)),
    ]
    index_file = show_dir / "episodes.json"
    recipe = {"v": VERSION, "plan": [[str(p), list(c)] for p, c in plan]}
    if index_file.is_file():
        saved = json.loads(index_file.read_text())
        if saved["recipe"] == recipe and all(Path(e["path"]).is_file() for e in saved["episodes"]):
            return [
                EpisodeClip(
                    e["number"], Path(e["path"]), Path(e["source"]), e["offset"], e["duration"]
                )
                for e in saved["episodes"]
            ]
    episodes: list[EpisodeClip] = []
    number = 1
    for source, cuts in plan:
        if not source.is_file():
            raise FileNotFoundError(f"benchmark clip missing: {source}")
        say(f"corpus: cutting {source.name}")
        with av.open(str(source)) as c:
            stream = c.streams.video[0]
            fps = round(float(stream.average_rate or 24))
            size = (stream.codec_context.width, stream.codec_context.height)
        enc: Encoder | None = None
        enc_part, first = -1, 0.0
        for t, frame in decoded(source):
            part = bisect.bisect_right(cuts, t + 1e-6) - 1
            if enc is None or part != enc_part:
                if enc is not None:
                    episodes.append(_close(enc, number, source, first))
                    number += 1
                enc = Encoder(show_dir / f"{SHOW} - {number:02d}.mp4", size, fps)
                enc_part, first = part, t
            enc.add(frame)
        if enc is not None:
            episodes.append(_close(enc, number, source, first))
            number += 1
    index_file.write_text(
        json.dumps(
            {"recipe": recipe, "episodes": [asdict(e) for e in episodes]}, default=str, indent=1
        )
    )
    return episodes


def _close(enc: Encoder, number: int, source: Path, first: float) -> EpisodeClip:
    duration = enc.close()
    return EpisodeClip(number, enc.path, source, first, duration)


# ----- long sources for the indexing benchmark


def long_source(paths: BenchPaths, height: int, seconds: float) -> Path:
    """The Big Buck Bunny clips looped to ``seconds`` at ``height``p, 24 fps, x264 CRF 21."""
    width = round(height * 16 / 9 / 2) * 2
    out = paths.work / "long" / f"bbb-loop-{height}p-{int(seconds)}s.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    recipe = {"v": VERSION, "height": height, "seconds": seconds, "crf": 21, "preset": "veryfast"}
    marker = out.with_suffix(".json")
    if out.is_file() and _cached(marker, recipe):
        return out
    say(f"corpus: encoding {out.name} (once; cached in {out.parent})")
    clips = [
        paths.media / "big_buck_bunny_0_30.webm",
        paths.media / "big_buck_bunny_clip.mp4",
        paths.media / "big_buck_bunny_432_433.webm",
    ]
    enc = Encoder(out, (width, height), 24, crf=21)
    while enc.frames < seconds * 24:
        for frame in _frames(clips):
            enc.add(frame)
    enc.close()
    _mark(marker, recipe)
    return out


def _frames(clips: Iterable[Path]) -> Iterator[av.VideoFrame]:
    for clip in clips:
        for _, frame in decoded(clip):
            yield frame
