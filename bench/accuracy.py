"""Accuracy under screenshot edits, per edit family and descriptor, and the settings sweeps.

This module measures and saves JSON; ``accuracy_report`` writes the Markdown and charts from it.

Paired design: N frames are drawn at random times from the five episodes (fixed seed), and every
edit family is applied to the same N frames, so families differ only by their edit. Screenshots
come from the original clips (VP8/H.264 as shipped); the index holds a re-encode, as in life.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench import edits
from bench.accuracy_report import charts, render_accuracy, render_sweeps
from bench.common import BenchPaths, RunInfo, percentiles, say
from bench.corpus import DISTRACTOR_SHOW, SHOW, Corpus, build_corpus, decoded
from bench.markdown import publish
from sabi.app import Sabi
from sabi.prepare.dedupe import is_black
from sabi.settings import Settings

DESCRIPTORS = ("sscd_distilled", "sscd", "colorlayout", "dhash")
TIME_TOLERANCE = 1.0  # seconds
FALSE_ACCEPT = 0.01  # the threshold lets this share of best-wrong similarities through
DEFAULT_MIRROR = bool(Settings.model_fields["mirror"].default)


@dataclass(frozen=True)
class Query:
    family: str
    index: int
    episode: int
    filename: str
    t: float  # episode time of the frame (s)
    path: Path


@dataclass
class Outcome:
    family: str
    index: int
    top1_episode: bool
    top1_time: bool
    top1_range: bool  # ... and the frame's time lies in its from-to range (±1 s)
    rr: float  # reciprocal rank of the first result from the right episode (0 if none in 10)
    right: float  # similarity of the best right-episode result (nan if none)
    top1: float  # similarity of the top result
    wrong: float  # similarity of the best wrong-episode result (0 if none)
    latency: float
    at_error: float  # |at - t| of the best right-episode result (nan if none)


# ----- queries


def _edits_version() -> str:
    return hashlib.sha1(inspect.getsource(edits).encode()).hexdigest()[:10]


def make_queries(paths: BenchPaths, corpus: Corpus, per_family: int, seed: int) -> list[Query]:
    """``per_family`` frames at random times, each edited by every family; cached on disk."""
    families = list(edits.EDITS)
    root = paths.work / f"queries-{'quick' if paths.quick else 'full'}"
    recipe = {
        "seed": seed,
        "n": per_family,
        "families": families,
        "edits": _edits_version(),
        "episodes": [(e.filename, e.offset, e.duration) for e in corpus.episodes],
    }
    recipe = json.loads(json.dumps(recipe))  # tuples as lists, as they come back from disk
    manifest = root / "manifest.json"
    if manifest.is_file():
        saved = json.loads(manifest.read_text())
        if saved["recipe"] == recipe:
            return [Query(**{**q, "path": Path(q["path"])}) for q in saved["queries"]]
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    say(f"queries: {per_family} frames x {len(families)} edit families")
    # Every non-black frame of every episode, by (episode, source time); then a seeded draw.
    candidates: list[tuple[int, float]] = []
    for ep in corpus.episodes:
        for t, frame in decoded(ep.source):
            if ep.offset - 1e-6 <= t < ep.offset + ep.duration - 1e-6:
                small = frame.to_ndarray(width=64, height=36, format="rgb24")
                if not is_black(small, 24) and small.std() > 6:
                    candidates.append((ep.number, t))
    rng = np.random.default_rng([seed, 1])
    picks = sorted(rng.choice(len(candidates), per_family, replace=False).tolist())
    wanted: dict[tuple[int, float], int] = {candidates[i]: n for n, i in enumerate(picks)}
    by_number = {e.number: e for e in corpus.episodes}
    queries: list[Query] = []
    for ep in corpus.episodes:
        for t, frame in decoded(ep.source):
            n = wanted.get((ep.number, t))
            if n is None:
                continue
            img = Image.fromarray(frame.to_ndarray(format="rgb24"))
            for family in families:
                edit = edits.EDITS[family]
                out = root / family / f"{n:03d}.{edit.fmt.lower()}"
                out.parent.mkdir(exist_ok=True)
                out.write_bytes(edit.encode(edit.apply(img, edits.family_rng(seed, family, n))))
                queries.append(
                    Query(family, n, ep.number, by_number[ep.number].filename, t - ep.offset, out)
                )
    queries.sort(key=lambda q: (families.index(q.family), q.index))
    manifest.write_text(
        json.dumps({"recipe": recipe, "queries": [asdict(q) for q in queries]}, default=str)
    )
    return queries


# ----- indexing and searching


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    """Explicit settings (no sabi.toml is read); SABI_* variables still apply."""
    return Settings(data_dir=data_dir, **overrides)


def index_corpus(corpus: Corpus, settings: Settings) -> dict[str, Any]:
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    with Sabi(settings) as sabi:
        t0 = time.perf_counter()
        show = sabi.index([corpus.show_dir], show=SHOW)
        rest = sabi.index([corpus.distractor_dir], show=DISTRACTOR_SHOW)
        wall = time.perf_counter() - t0
        stats = sabi.stats()
    show_frames = sum(r.frames for r in show.results if r.status == "indexed")
    return {
        "wall": wall,
        "embed": show.timings.embed + rest.timings.embed,
        "frames": stats.frames,
        "show_frames": show_frames,
        "show_sampled": sum(r.sampled for r in show.results),
        "show_seconds": corpus.show_seconds,
        "seconds": corpus.show_seconds + corpus.distractor_seconds,
        "index_bytes": stats.index_bytes,
        "failed": show.count("failed") + rest.count("failed"),
    }


def evaluate(settings: Settings, queries: Sequence[Query]) -> list[Outcome]:
    outcomes = []
    with Sabi(settings) as sabi:
        warm = queries[0].path.read_bytes()
        for _ in range(3):
            sabi.search(warm).as_json()
        for q in queries:
            data = q.path.read_bytes()
            t0 = time.perf_counter()
            answer = sabi.search(data).as_json()
            latency = time.perf_counter() - t0
            outcomes.append(score(q, answer["result"], latency))
    return outcomes


def score(q: Query, results: list[dict[str, Any]], latency: float) -> Outcome:
    right = [i for i, r in enumerate(results) if r["filename"] == q.filename]
    wrong = [r["similarity"] for r in results if r["filename"] != q.filename]
    first = right[0] if right else None
    top = results[0] if results else None
    return Outcome(
        q.family,
        q.index,
        top1_episode=first == 0,
        top1_time=first == 0 and abs(results[0]["at"] - q.t) <= TIME_TOLERANCE,
        top1_range=first == 0
        and results[0]["from"] - TIME_TOLERANCE <= q.t <= results[0]["to"] + TIME_TOLERANCE,
        rr=1.0 / (first + 1) if first is not None else 0.0,
        right=results[first]["similarity"] if first is not None else float("nan"),
        top1=top["similarity"] if top else 0.0,
        wrong=max(wrong, default=0.0),
        latency=latency,
        at_error=abs(results[first]["at"] - q.t) if first is not None else float("nan"),
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
    return {
        "n": len(outcomes),
        "top1_episode": float(np.mean([o.top1_episode for o in outcomes])),
        "top1_time": float(np.mean([o.top1_time for o in outcomes])),
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
        "latency_p50": p50,
        "latency_p95": p95,
        "latency_p99": p99,
    }


def by_family(outcomes: Sequence[Outcome]) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.family].append(o)
    return groups


# ----- the benchmark


@dataclass
class Run:
    label: str
    overrides: dict[str, Any]
    index: dict[str, Any]
    outcomes: list[Outcome]

    @property
    def tau(self) -> float:
        return threshold(self.outcomes)

    def families(self) -> dict[str, dict[str, float]]:
        tau = self.tau
        return {f: summarise(os_, tau) for f, os_ in by_family(self.outcomes).items()}

    def overall(self) -> dict[str, float | str]:
        fams = self.families()
        keys = ("top1_episode", "top1_time", "top1_range", "mrr10", "confident", "auc")
        out: dict[str, float | str] = {
            k: float(np.nanmean([s[k] for s in fams.values()])) for k in keys
        }
        worst = min(fams, key=lambda f: fams[f]["top1_episode"])
        out["worst_family"] = worst
        out["worst_top1"] = fams[worst]["top1_episode"]
        out.update(
            {k: v for k, v in summarise(self.outcomes, self.tau).items() if k.startswith("latency")}
        )
        out["tau"] = self.tau
        return out


def run_config(
    paths: BenchPaths,
    corpus: Corpus,
    queries: Sequence[Query],
    label: str,
    mirrors: Sequence[bool] = (True,),
    **overrides: Any,
) -> list[Run]:
    data_dir = paths.work / "acc-index" / label.replace(" ", "_").replace("/", "-")
    settings = settings_for(data_dir, **overrides)
    say(f"accuracy [{label}]: indexing the corpus")
    info = index_corpus(corpus, settings)
    say(
        f"accuracy [{label}]: {info['frames']} frames in {info['wall']:.1f} s; "
        f"{len(queries)} queries x mirror {list(mirrors)}"
    )
    runs = []
    for mirror in mirrors:
        outcomes = evaluate(settings.model_copy(update={"mirror": mirror}), queries)
        runs.append(Run(label, {**overrides, "mirror": mirror}, info, outcomes))
        o = runs[-1].overall()
        say(
            f"  mirror={mirror}: top-1 {o['top1_episode']:.3f}, +time {o['top1_time']:.3f}, "
            f"p50 {o['latency_p50']:.1f} ms"
        )
    shutil.rmtree(data_dir, ignore_errors=True)
    return runs


def bench_accuracy(
    paths: BenchPaths,
    *,
    per_family: int,
    seed: int = 7,
    descriptors: Sequence[str] = DESCRIPTORS,
    sweeps: bool = True,
) -> list[Path]:
    info = RunInfo()
    corpus = build_corpus(paths)
    queries = make_queries(paths, corpus, per_family, seed)
    runs: dict[tuple[str, bool], Run] = {}
    for d in descriptors:
        for run in run_config(paths, corpus, queries, d, (False, True), descriptor=d):
            runs[(d, run.overrides["mirror"])] = run
    data = {
        "run": info.facts(),
        "per_family": per_family,
        "seed": seed,
        "descriptors": list(descriptors),
        "default_mirror": DEFAULT_MIRROR,
        "time_tolerance": TIME_TOLERANCE,
        "false_accept": FALSE_ACCEPT,
        "corpus": corpus_facts(corpus),
        "edits": [
            {"name": e.name, "group": e.group, "description": e.description}
            for e in edits.EDITS.values()
        ],
        "index": {d: runs[(d, DEFAULT_MIRROR)].index for d in descriptors},
        "families": {run_key(d, m): r.families() for (d, m), r in runs.items()},
        "overall": {run_key(d, m): r.overall() for (d, m), r in runs.items()},
        "queries": [asdict(q) for q in queries],
        "outcomes": {run_key(d, m): [asdict(o) for o in r.outcomes] for (d, m), r in runs.items()},
    }
    written = [publish(paths.results, "accuracy", data, render_accuracy)]
    if not charts(data, paths.results):
        say("matplotlib is not installed (pip install -e '.[bench]'): no charts")
    if sweeps:
        baseline = runs.get(("sscd_distilled", DEFAULT_MIRROR))
        written.append(bench_sweeps(paths, corpus, queries, baseline))
    return written


def run_key(descriptor: str, mirror: bool) -> str:
    """How a (descriptor, mirror) run is named in accuracy.json."""
    return f"{descriptor}/mirror={mirror}"


def corpus_facts(corpus: Corpus) -> dict[str, Any]:
    return {
        "show": SHOW,
        "episodes": len(corpus.episodes),
        "show_seconds": corpus.show_seconds,
        "distractor_seconds": corpus.distractor_seconds,
    }


# ----- sweeps of the indexing settings (default descriptor)


def sweep_configs(quick: bool) -> list[tuple[str, dict[str, Any]]]:
    if quick:
        return [("rate 1", {"rate": 1.0}), ("embed_size 160", {"embed_size": 160})]
    return [
        ("rate 1", {"rate": 1.0}),
        ("rate 4", {"rate": 4.0}),
        ("dedupe off", {"dedupe_distance": 0}),
        ("dedupe 8 bits", {"dedupe_distance": 8}),
        ("dedupe 12 bits", {"dedupe_distance": 12}),
        ("dedupe span 2 s", {"dedupe_max_span": 2.0}),
        ("dedupe span 8 s", {"dedupe_max_span": 8.0}),
        ("embed_size 160", {"embed_size": 160}),
        ("embed_size 192", {"embed_size": 192}),
        ("embed_size 256", {"embed_size": 256}),
    ]


HARD = ("crop50", "pasted", "phone", "caption", "down160")


def bench_sweeps(
    paths: BenchPaths, corpus: Corpus, queries: Sequence[Query], baseline: Run | None
) -> Path:
    info = RunInfo()
    runs: list[Run] = []
    if baseline is None:
        baseline = run_config(
            paths, corpus, queries, "defaults", (DEFAULT_MIRROR,), descriptor="sscd_distilled"
        )[0]
    outcomes = baseline.outcomes
    if not paths.quick:  # half the frames per family: enough to rank settings, half the time
        queries = [q for q in queries if q.index % 2 == 0]
        outcomes = [o for o in outcomes if o.index % 2 == 0]
    label = "defaults (rate 2, dedupe 4 bits / 4 s, embed 224)"
    runs.append(Run(label, baseline.overrides, baseline.index, outcomes))
    for label, overrides in sweep_configs(paths.quick):
        runs += run_config(
            paths,
            corpus,
            queries,
            label,
            (DEFAULT_MIRROR,),
            descriptor="sscd_distilled",
            **overrides,
        )
    data = {
        "run": info.facts(),
        "queries": len(queries),
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
