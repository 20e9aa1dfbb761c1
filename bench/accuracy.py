"""Accuracy under screenshot edits, per edit family and descriptor, and the settings sweeps.

This module measures and saves JSON; ``accuracy_report`` writes the Markdown and charts from it.

Paired design: N frames are drawn at random times from the episodes (fixed seed), and every
edit family is applied to the same N frames, so families differ only by their edit. Screenshots
come from the originals (the film's clips, the cartoons' lossless masters); the index holds a
re-encode, as in life. Two query splits (``bench.queries``): the tuning split chooses settings
(the sweeps, the "not found" threshold), the report split is what the tables report.
"""

from __future__ import annotations

import inspect
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import amv, edits
from bench.accuracy_report import charts, render_accuracy, render_sweeps
from bench.common import BenchPaths, RunInfo, defaults_line, percentiles, say
from bench.corpus import DISTRACTOR_SHOW, SHOW, Corpus, build_corpus
from bench.markdown import publish
from bench.queries import CLIP_FAMILIES, SPLITS, FrameIndex, Query, QuerySet, make_split
from sabi.app import Sabi
from sabi.settings import Settings

DESCRIPTORS = ("sscd_distilled", "sscd", "colorlayout", "dhash")
TIME_TOLERANCE = 1.0  # seconds
HALF_TOLERANCE = 0.5  # the goal for `at` of right answers
FALSE_ACCEPT = 0.01  # the threshold lets this share of best-wrong similarities through
PRECISION_GOAL = 0.95  # the "not found" threshold keeps at least this precision
DEFAULT_MIRROR = bool(Settings.model_fields["mirror"].default)
IMAGE_FAMILIES = tuple(edits.EDITS)
#: the families `exact` was measured on before it was measured on all of them (for comparison)
EARLIER_EXACT = ("none", "jpeg30", "down320", "subtitles", "typical")


@dataclass
class Outcome:
    family: str
    index: int
    top1_episode: bool
    top1_time: bool  # ... and `at` within ±1 s of the frame's time (or showing the same frame)
    top1_range: bool  # ... and the frame's time lies in its from-to range (±1 s)
    rr: float  # reciprocal rank of the first result from the right episode (0 if none in 10)
    right: float  # similarity of the best right-episode result (nan if none)
    top1: float  # similarity of the top result
    wrong: float  # similarity of the best wrong-episode result (0 if none)
    latency: float
    at_error: float  # |at - t| of the best right-episode result (nan if none)
    top1_half: bool = False  # top-1 right episode and `at` within ±0.5 s (or the same frame)
    indexed: bool = True  # False: a "not in the library" query
    kind: str = "film"
    found: bool | None = None  # the response's `found` field, where the checkout has it
    exact: bool = False  # top-1 right and `at` names the query's frame (±1 frame or identical)


# ----- indexing and searching


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    """Explicit settings (no sabi.toml is read); SABI_* variables still apply."""
    return Settings(data_dir=data_dir, **overrides)


def index_corpus(corpus: Corpus, settings: Settings) -> dict[str, Any]:
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    with Sabi(settings) as sabi:
        t0 = time.perf_counter()
        shows = [sabi.index([folder], show=title) for title, folder in corpus.show_dirs.items()]
        rest = sabi.index([corpus.distractor_dir], show=DISTRACTOR_SHOW)
        wall = time.perf_counter() - t0
        stats = sabi.stats()
    indexed = [r for show in shows for r in show.results if r.status == "indexed"]
    return {
        "wall": wall,
        "embed": sum(s.timings.embed for s in shows) + rest.timings.embed,
        "frames": stats.frames,
        "show_frames": sum(r.frames for r in indexed),
        "show_sampled": sum(r.sampled for show in shows for r in show.results),
        "show_seconds": corpus.show_seconds,
        "seconds": corpus.show_seconds + corpus.distractor_seconds,
        "index_bytes": stats.index_bytes,
        "failed": sum(s.count("failed") for s in shows) + rest.count("failed"),
    }


def exact_supported() -> bool:
    """Whether this checkout's ``Sabi.search`` takes ``exact`` (built on another branch)."""
    return "exact" in inspect.signature(Sabi.search).parameters


EXACT_SKIP = (
    "skipped: Sabi.search has no `exact` parameter in this checkout (the exact-moment "
    "refinement is built on another branch); rerun after merging"
)


def evaluate(
    settings: Settings,
    queries: Sequence[Query],
    frames: FrameIndex | None = None,
    *,
    exact: bool = False,
) -> list[Outcome]:
    outcomes = []
    kwargs: dict[str, Any] = {"exact": True} if exact else {}
    with Sabi(settings) as sabi:
        warm = queries[0].path.read_bytes()
        for _ in range(3):
            sabi.search(warm).as_json()
        for q in queries:
            data = q.path.read_bytes()
            t0 = time.perf_counter()
            answer = sabi.search(data, **kwargs).as_json()
            latency = time.perf_counter() - t0
            outcomes.append(score(q, answer["result"], latency, frames, answer.get("found")))
    return outcomes


def score(
    q: Query,
    results: list[dict[str, Any]],
    latency: float,
    frames: FrameIndex | None = None,
    found: bool | None = None,
) -> Outcome:
    """Score one answer. A time is right within a tolerance of the query's frame, or anywhere
    its episode shows the very same picture (``frames``: held shots, drawings on twos); a clip
    query's time may fall anywhere in its span (± the tolerance)."""
    right = [i for i, r in enumerate(results) if r["filename"] == q.filename]
    wrong = [r["similarity"] for r in results if r["filename"] != q.filename]
    first = right[0] if right else None
    top = results[0] if results else None

    def on_time(at: float, tolerance: float) -> bool:
        if q.t - tolerance <= at <= q.t + q.span + tolerance:
            return True
        return frames is not None and frames.same_frame(q.filename, at, q.t)

    def exact_at(at: float) -> bool:
        step = 1 / (frames.fps(q.filename) if frames is not None else 24.0)
        return on_time(at, step + 1e-3) if q.span == 0 else False

    top_right = first == 0 and top is not None
    return Outcome(
        q.family,
        q.index,
        top1_episode=top_right,
        top1_time=top_right and on_time(results[0]["at"], TIME_TOLERANCE),
        top1_range=top_right
        and results[0]["from"] - TIME_TOLERANCE <= q.t <= results[0]["to"] + TIME_TOLERANCE,
        rr=1.0 / (first + 1) if first is not None else 0.0,
        right=results[first]["similarity"] if first is not None else float("nan"),
        top1=top["similarity"] if top else 0.0,
        wrong=max(wrong, default=0.0),
        latency=latency,
        at_error=abs(results[first]["at"] - q.t) if first is not None else float("nan"),
        top1_half=top_right and on_time(results[0]["at"], HALF_TOLERANCE),
        indexed=q.indexed,
        kind=q.kind,
        found=found,
        exact=top_right and exact_at(results[0]["at"]),
    )


# ----- summaries


def auc(right: np.ndarray, wrong: np.ndarray) -> float:
    """P(a right answer's similarity > a best-wrong similarity), ties count half."""
    if len(right) == 0 or len(wrong) == 0:
        return float("nan")
    both = np.concatenate([right, wrong])
    order = both.argsort(kind="mergesort")
    ranks = np.empty(len(both))
    ranks[order] = np.arange(1, len(both) + 1)
    for v in np.unique(both):  # average ranks of ties
        tie = both == v
        ranks[tie] = ranks[tie].mean()
    r = ranks[: len(right)].sum() - len(right) * (len(right) + 1) / 2
    return float(r / (len(right) * len(wrong)))


def threshold(outcomes: Sequence[Outcome]) -> float:
    """The similarity that only FALSE_ACCEPT of best-wrong answers reach."""
    return float(np.quantile([o.wrong for o in outcomes], 1 - FALSE_ACCEPT))


def summarise(outcomes: Sequence[Outcome], tau: float) -> dict[str, float]:
    right = np.array([o.right for o in outcomes])
    found = right[~np.isnan(right)]
    wrong = np.array([o.wrong for o in outcomes])
    lat = [o.latency * 1000 for o in outcomes]
    p50, p95, p99 = percentiles(lat)
    top1 = float(np.mean([o.top1_episode for o in outcomes]))
    half = float(np.mean([o.top1_half for o in outcomes]))
    return {
        "n": len(outcomes),
        "top1_episode": top1,
        "top1_time": float(np.mean([o.top1_time for o in outcomes])),
        "top1_half": half,
        "half_of_right": half / top1 if top1 else float("nan"),
        "top1_range": float(np.mean([o.top1_range for o in outcomes])),
        "mrr10": float(np.mean([o.rr for o in outcomes])),
        "right_median": float(np.median(found)) if len(found) else float("nan"),
        "wrong_median": float(np.median(wrong)),
        "wrong_p95": float(np.quantile(wrong, 0.95)),
        "auc": auc(np.nan_to_num(right, nan=0.0), wrong),
        "confident": float(np.mean([o.top1_episode and o.top1 >= tau for o in outcomes])),
        "confident_wrong": float(
            np.mean([(not o.top1_episode) and o.top1 >= tau for o in outcomes])
        ),
        "exact": float(np.mean([o.exact for o in outcomes])),
        "latency_p50": p50,
        "latency_p95": p95,
        "latency_p99": p99,
    }


def by_family(outcomes: Sequence[Outcome]) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.family].append(o)
    return groups


# ----- "not in the library": a threshold on the top similarity


def calibrate(outcomes: Sequence[Outcome], goal: float = PRECISION_GOAL) -> float:
    """The lowest top-1 similarity threshold whose accepted answers (positives and negatives
    together) are right at least ``goal`` of the time: chosen on the tuning split."""
    pairs = sorted((o.top1, o.indexed and o.top1_episode) for o in outcomes)
    right_above = np.cumsum([r for _, r in pairs][::-1])[::-1]  # right answers at or above i
    for i, (sim, _) in enumerate(pairs):
        if right_above[i] / (len(pairs) - i) >= goal:
            return float(sim)
    return float("inf")


def not_found(outcomes: Sequence[Outcome], thr: float) -> dict[str, float]:
    """What a threshold does: precision of the accepted answers, the share of indexed queries
    answered (and answered right), the share of unindexed ones answered "not found"; and the
    same from the response's own ``found`` field where the checkout has it."""
    pos = [o for o in outcomes if o.indexed]
    neg = [o for o in outcomes if not o.indexed]
    accepted = [o for o in outcomes if o.top1 >= thr]
    right = [o for o in accepted if o.indexed and o.top1_episode]
    out = {
        "n_positive": len(pos),
        "n_negative": len(neg),
        "precision": len(right) / len(accepted) if accepted else float("nan"),
        "answered": float(np.mean([o.top1 >= thr for o in pos])) if pos else float("nan"),
        "answered_right": len(right) / len(pos) if pos else float("nan"),
        "not_found": float(np.mean([o.top1 < thr for o in neg])) if neg else float("nan"),
        "negative_top1_median": float(np.median([o.top1 for o in neg])) if neg else float("nan"),
    }
    if outcomes and all(o.found is not None for o in outcomes):
        ok = [o for o in outcomes if o.found]
        out["api_precision"] = (
            sum(o.indexed and o.top1_episode for o in ok) / len(ok) if ok else float("nan")
        )
        out["api_not_found"] = float(np.mean([not o.found for o in neg])) if neg else float("nan")
        out["api_answered"] = float(np.mean([bool(o.found) for o in pos])) if pos else float("nan")
    return out


# ----- the benchmark


@dataclass
class Run:
    label: str
    split: str
    overrides: dict[str, Any]
    index: dict[str, Any]
    outcomes: list[Outcome]

    @property
    def positives(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.indexed]

    @property
    def tau(self) -> float:
        return threshold(self.positives)

    def families(self) -> dict[str, dict[str, float]]:
        tau = self.tau
        return {f: summarise(os_, tau) for f, os_ in by_family(self.positives).items()}

    def overall(self) -> dict[str, float | str]:
        """Means over the image edit families (clips and negatives apart), the worst family,
        the clips, and the frames of each kind (film / rendered) over all image families."""
        fams = {f: s for f, s in self.families().items() if f in IMAGE_FAMILIES}
        keys = ("top1_episode", "top1_time", "top1_half", "top1_range", "mrr10", "confident")
        out: dict[str, float | str] = {
            k: float(np.nanmean([s[k] for s in fams.values()])) for k in (*keys, "auc")
        }
        image = [o for o in self.positives if o.family in IMAGE_FAMILIES]
        right = [o for o in image if o.top1_episode]
        out["half_of_right"] = float(np.mean([o.top1_half for o in right])) if right else 0.0
        worst = min(fams, key=lambda f: fams[f]["top1_time"])
        out["worst_family"] = worst
        out["worst_top1"] = fams[worst]["top1_episode"]
        out["worst_top1_time"] = fams[worst]["top1_time"]
        for kind in ("film", "rendered"):
            mine = [o for o in image if o.kind == kind]
            out[f"{kind}_top1_time"] = float(np.mean([o.top1_time for o in mine])) if mine else 0
        clips = [o for o in self.positives if o.family in CLIP_FAMILIES]
        out["clips_top1_time"] = float(np.mean([o.top1_time for o in clips])) if clips else 0
        out.update({k: v for k, v in summarise(image, self.tau).items() if k.startswith("latency")})
        out["tau"] = self.tau
        return out


def run_config(
    paths: BenchPaths,
    corpus: Corpus,
    label: str,
    splits: dict[str, tuple[QuerySet, Sequence[bool]]],
    after: Callable[[Settings], None] | None = None,
    **overrides: Any,
) -> dict[tuple[str, bool], Run]:
    """Index the corpus once with ``overrides``; evaluate each split under its mirror values;
    ``after`` gets the settings while the index still exists. Keyed (split, mirror)."""
    data_dir = paths.work / "acc-index" / label.replace(" ", "_").replace("/", "-")
    settings = settings_for(data_dir, **overrides)
    say(f"accuracy [{label}]: indexing the corpus")
    info = index_corpus(corpus, settings)
    say(f"accuracy [{label}]: {info['frames']} frames in {info['wall']:.1f} s")
    runs: dict[tuple[str, bool], Run] = {}
    for split, (qs, mirrors) in splits.items():
        for mirror in mirrors:
            s = settings.model_copy(update={"mirror": mirror})
            outcomes = evaluate(s, qs.queries, qs.frames)
            run = Run(label, split, {**overrides, "mirror": mirror}, info, outcomes)
            runs[(split, mirror)] = run
            o = run.overall()
            say(
                f"  {split} split, mirror={mirror}: {len(qs.queries)} queries, top-1 "
                f"{o['top1_episode']:.3f}, +time {o['top1_time']:.3f}, p50 {o['latency_p50']:.1f} ms"
            )
    if after is not None:
        after(settings)
    shutil.rmtree(data_dir, ignore_errors=True)
    return runs


def measure_extras(
    paths: BenchPaths, corpus: Corpus, settings: Settings, sets: dict[str, QuerySet]
) -> dict[str, Any]:
    """Exact moments (report split) and the AMV breakdown (one clip per split), on an index."""
    out: dict[str, Any] = {"exact": {"available": exact_supported(), "note": ""}}
    if exact_supported():
        report = sets["report"]
        qs = [q for q in report.positives if q.family in IMAGE_FAMILIES]
        say(f"accuracy: exact moments, {len(qs)} queries")
        outcomes = evaluate(settings, qs, report.frames, exact=True)
        groups = by_family(outcomes)
        out["exact"]["families"] = {
            f: {
                "n": len(g),
                "top1_episode": float(np.mean([o.top1_episode for o in g])),
                "exact": float(np.mean([o.exact for o in g])),
                "exact_of_right": _share([o.exact for o in g if o.top1_episode]),
                "latency_p50": percentiles([o.latency * 1000 for o in g])[0],
            }
            for f, g in groups.items()
        }
        right = [o for o in outcomes if o.top1_episode]
        out["exact"]["exact_of_right"] = _share([o.exact for o in right])
        out["exact"]["earlier_of_right"] = _share(
            [o.exact for o in right if o.family in EARLIER_EXACT]
        )
        out["exact"]["half_of_right"] = _share([o.top1_half for o in right])
        out["exact"]["outcomes"] = [asdict(o) for o in outcomes]
    else:
        say(f"accuracy: exact moments {EXACT_SKIP}")
        out["exact"]["note"] = EXACT_SKIP
    out["amv"] = {
        "available": amv.available(),
        "note": "" if amv.available() else amv.skip_reason(),
    }
    for split, qset in sets.items():
        clip, pieces = amv.build(paths, corpus, qset.seed)
        out["amv"][split] = {"clip": clip.name, "pieces": [asdict(p) for p in pieces]}
        if amv.available():
            with Sabi(settings) as sabi:
                out["amv"][split] = amv.measure(sabi, clip, pieces)
            r = out["amv"][split]
            say(f"accuracy: AMV breakdown ({split} split): {r['right']}/{r['n']} shots right")
    if not amv.available():
        say(f"accuracy: AMV breakdown {amv.skip_reason()}")
    return out


def _share(flags: Sequence[bool]) -> float:
    return float(np.mean(flags)) if flags else float("nan")


def bench_accuracy(
    paths: BenchPaths,
    *,
    per_family: int,
    descriptors: Sequence[str] = DESCRIPTORS,
    sweeps: bool = True,
) -> list[Path]:
    info = RunInfo()
    corpus = build_corpus(paths)
    n_tune = max(4, per_family // 2)
    tuning = make_split(
        paths, corpus, "tuning", n_tune, clips=max(2, n_tune // 2), negatives=n_tune
    )
    report = make_split(
        paths,
        corpus,
        "report",
        per_family,
        avoid=(SPLITS["tuning"], n_tune),
        clips=max(2, per_family // 2),
        negatives=per_family,
    )
    primary = "sscd_distilled" if "sscd_distilled" in descriptors else descriptors[0]
    runs: dict[tuple[str, bool], Run] = {}
    extras: dict[str, Any] = {}
    baseline: Run | None = None
    images = report.images()  # what the other descriptors and the other mirror value run
    for d in descriptors:
        sets: dict[str, tuple[QuerySet, Sequence[bool]]] = {
            "report": (report if d == primary else images, (DEFAULT_MIRROR,)),
            "report/mirror": (images, (not DEFAULT_MIRROR,)),
        }
        after = None
        if d == primary:
            sets["tuning"] = (tuning, (DEFAULT_MIRROR,))

            def after(settings: Settings) -> None:
                extras.update(
                    measure_extras(paths, corpus, settings, {"tuning": tuning, "report": report})
                )

        for (split, mirror), run in run_config(paths, corpus, d, sets, after, descriptor=d).items():
            if split.startswith("report"):
                runs[(d, mirror)] = run
            else:
                baseline = run
    assert baseline is not None
    data = {
        "run": info.facts(),
        "per_family": per_family,
        "seed": SPLITS["report"],
        "split": "report",
        "splits": {
            qs.split: {"seed": qs.seed, "per_family": n, **qs.counts()}
            for qs, n in ((tuning, n_tune), (report, per_family))
        },
        **_results(corpus, descriptors, primary, runs, baseline),
        **extras,
        "queries": [asdict(q) for q in report.queries],
    }
    written = [publish(paths.results, "accuracy", data, render_accuracy)]
    if not charts(data, paths.results):
        say("matplotlib is not installed (pip install -e '.[bench]'): no charts")
    if sweeps:
        written.append(bench_sweeps(paths, corpus, tuning, baseline))
    return written


def _results(
    corpus: Corpus,
    descriptors: Sequence[str],
    primary: str,
    runs: dict[tuple[str, bool], Run],
    baseline: Run,
) -> dict[str, Any]:
    """accuracy.json's measured part: report-split runs, the tuning baseline, "not found"."""
    thr = calibrate(baseline.outcomes)
    return {
        "descriptors": list(descriptors),
        "primary": primary,
        "default_mirror": DEFAULT_MIRROR,
        "time_tolerance": TIME_TOLERANCE,
        "half_tolerance": HALF_TOLERANCE,
        "false_accept": FALSE_ACCEPT,
        "corpus": corpus_facts(corpus),
        "edits": [
            {"name": e.name, "group": e.group, "description": e.description}
            for e in edits.EDITS.values()
        ],
        "index": {d: runs[(d, DEFAULT_MIRROR)].index for d in descriptors},
        "families": {run_key(d, m): r.families() for (d, m), r in runs.items()},
        "overall": {run_key(d, m): r.overall() for (d, m), r in runs.items()},
        "tuning": {
            "descriptor": primary,
            "families": baseline.families(),
            "overall": baseline.overall(),
            "outcomes": [asdict(o) for o in baseline.outcomes],
        },
        "not_found": {
            "goal": PRECISION_GOAL,
            "threshold": thr,
            "tuning": not_found(baseline.outcomes, thr),
            "report": not_found(runs[(primary, DEFAULT_MIRROR)].outcomes, thr),
        },
        "outcomes": {run_key(d, m): [asdict(o) for o in r.outcomes] for (d, m), r in runs.items()},
    }


def run_key(descriptor: str, mirror: bool) -> str:
    """How a (descriptor, mirror) run is named in accuracy.json."""
    return f"{descriptor}/mirror={mirror}"


def corpus_facts(corpus: Corpus) -> dict[str, Any]:
    shows: dict[str, dict[str, Any]] = {}
    for e in corpus.episodes:
        entry = shows.setdefault(e.show, {"episodes": 0, "seconds": 0.0, "kind": e.kind})
        entry["episodes"] += 1
        entry["seconds"] += e.duration
    return {
        "show": SHOW,
        "episodes": len(corpus.episodes),
        "show_seconds": corpus.show_seconds,
        "film_seconds": corpus.seconds_of("film"),
        "rendered_seconds": corpus.seconds_of("rendered"),
        "shows": shows,
        "unindexed": [
            {"show": e.show, "file": e.filename, "seconds": e.duration} for e in corpus.unindexed
        ],
        "distractor_seconds": corpus.distractor_seconds,
    }


# ----- sweeps of the indexing settings (default descriptor)


def sweep_configs(quick: bool) -> list[tuple[str, dict[str, Any]]]:
    if quick:
        return [("rate 1", {"rate": 1.0}), ("embed_size 160", {"embed_size": 160})]
    return [
        ("rate 1", {"rate": 1.0}),
        ("rate 3", {"rate": 3.0}),
        ("rate 4", {"rate": 4.0}),
        ("dedupe off", {"dedupe_distance": 0}),
        ("dedupe 8 bits", {"dedupe_distance": 8}),
        ("dedupe 12 bits", {"dedupe_distance": 12}),
        ("dedupe span 1 s", {"dedupe_max_span": 1.0}),
        ("dedupe span 4 s", {"dedupe_max_span": 4.0}),
        ("dedupe span 8 s", {"dedupe_max_span": 8.0}),
        ("embed_size 160", {"embed_size": 160}),
        ("embed_size 192", {"embed_size": 192}),
        ("embed_size 256", {"embed_size": 256}),
    ]


HARD = ("crop50", "crop_offcentre", "strip", "tilt", "player", "screen_photo")


def bench_sweeps(paths: BenchPaths, corpus: Corpus, tuning: QuerySet, baseline: Run) -> Path:
    """One setting changed at a time, measured on the tuning split's edited frames only (the
    settings are chosen here; the report split never is)."""
    info = RunInfo()
    image = tuning.images()
    outcomes = [o for o in baseline.outcomes if o.indexed and o.family in IMAGE_FAMILIES]
    label = f"defaults ({defaults_line()})"
    runs = [Run(label, "tuning", baseline.overrides, baseline.index, outcomes)]
    for label, overrides in sweep_configs(paths.quick):
        sets: dict[str, tuple[QuerySet, Sequence[bool]]] = {"tuning": (image, (DEFAULT_MIRROR,))}
        found = run_config(
            paths,
            corpus,
            label,
            sets,
            None,
            descriptor=baseline.overrides["descriptor"],
            **overrides,
        )
        runs += found.values()
    data = {
        "run": info.facts(),
        "split": "tuning",
        "seed": tuning.seed,
        "queries": len(image.queries),
        "counts": tuning.counts(),
        "default_mirror": DEFAULT_MIRROR,
        "corpus": corpus_facts(corpus),
        "hard": list(HARD),
        "configs": [
            {
                "label": r.label,
                "overrides": r.overrides,
                "index": r.index,
                "overall": r.overall(),
                "families": r.families(),
            }
            for r in runs
        ],
    }
    return publish(paths.results, "sweeps", data, render_sweeps)
