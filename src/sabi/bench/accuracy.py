"""Accuracy under screenshot edits, per edit family and descriptor, and the settings sweeps.

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

from sabi.app import Sabi
from sabi.bench import edits
from sabi.bench.common import BenchPaths, RunInfo, num, pct, percentiles, say, table, write
from sabi.bench.corpus import DISTRACTOR_SHOW, SHOW, Corpus, build_corpus, decoded
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


def score(q: Query, results: list[dict], latency: float) -> Outcome:
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

    def overall(self) -> dict[str, float]:
        fams = self.families()
        keys = ("top1_episode", "top1_time", "top1_range", "mrr10", "confident", "auc")
        out = {k: float(np.nanmean([s[k] for s in fams.values()])) for k in keys}
        out["worst_family"] = min(fams, key=lambda f: fams[f]["top1_episode"])
        out["worst_top1"] = fams[out["worst_family"]]["top1_episode"]
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
    written = [_write_accuracy(paths, info, corpus, queries, runs, descriptors, seed)]
    if sweeps:
        baseline = runs.get(("sscd_distilled", DEFAULT_MIRROR))
        written.append(bench_sweeps(paths, corpus, queries, baseline))
    return written


def _write_accuracy(
    paths: BenchPaths,
    info: RunInfo,
    corpus: Corpus,
    queries: Sequence[Query],
    runs: dict[tuple[str, bool], Run],
    descriptors: Sequence[str],
    seed: int,
) -> Path:
    families = list(edits.EDITS)
    per_family = len(queries) // len(families)
    main = {d: runs[(d, DEFAULT_MIRROR)] for d in descriptors}
    fam = {d: main[d].families() for d in descriptors}
    n_frames = main[descriptors[0]].index["frames"]
    notes = f"""
Corpus: {len(corpus.episodes)} episodes of "{SHOW}" ({corpus.show_seconds:.0f} s, the clips in
shared/media cut at shot changes and re-encoded to H.264) plus {corpus.distractor_seconds / 60:.1f}
min of distractor video (bikes.mp4 and FFmpeg generators); {n_frames} frames indexed at the
default settings. Queries: {per_family} frames at random times (seed {seed}), taken from the
original clips (not the indexed re-encode), each edited by every family below, so the families
are compared on the same frames. Default settings (rate 2 fps, dedupe 4 bits/4 s, embed 224,
mirror {"on" if DEFAULT_MIRROR else "off"}) unless a table says otherwise. Every query is one `Sabi.search(bytes)` call.

- **top-1 episode**: the first scene is from the right episode.
- **+time**: ... and its `at` is within ±{TIME_TOLERANCE:g} s of the frame's time.
- **+range**: ... and the frame's time lies in its `from`-`to` range (±{TIME_TOLERANCE:g} s): the
  right scene. A deduplicated run of near-identical frames answers with the run's first frame
  as `at` and the run's span as the range, so +range ≥ +time; the gap is dedupe's holding.
- **MRR@10**: mean reciprocal rank of the first right-episode scene in the 10 returned.
- **right / best wrong**: median similarity of the right episode's best scene, and median (p95)
  of the best scene from any other episode: how far apart the two are.
- **AUC**: the chance a right answer's similarity beats a random query's best wrong one (1 = a
  threshold separates them perfectly, 0.5 = no better than chance).
- **confident**: top-1 right and its similarity ≥ τ, where τ (per descriptor, all families
  together) is the similarity that only {FALSE_ACCEPT:.0%} of best-wrong answers reach: the share
  of queries a UI could answer without showing alternatives.
"""
    out = [info.header("Accuracy under screenshot edits", notes)]
    edit_rows = [(f"`{e.name}`", e.group, e.description) for e in edits.EDITS.values()]
    out += [
        "## Edit families (`sabi.bench.edits`)\n",
        table(["family", "group", "edit"], edit_rows, "lll"),
    ]

    def metric_table(key: str, fmt=pct) -> str:
        rows = [[f"`{f}`", *[fmt(fam[d][f][key]) for d in descriptors]] for f in families]
        mean = [float(np.nanmean([fam[d][f][key] for f in families])) for d in descriptors]
        rows.append(["**mean**", *[f"**{fmt(m)}**" for m in mean]])
        return table(["family", *descriptors], rows)

    out += ["\n## Top-1 right episode\n", metric_table("top1_episode")]
    out += [
        f"\n## Top-1 right episode and time (±{TIME_TOLERANCE:g} s)\n",
        metric_table("top1_time"),
    ]
    out += [
        f"\n## Top-1 right episode and the frame's time in its range (±{TIME_TOLERANCE:g} s)\n",
        metric_table("top1_range"),
    ]
    out += ["\n## MRR@10 (right episode)\n", metric_table("mrr10", lambda x: num(x, 3))]
    sim_rows = []
    for f in families:
        row = [f"`{f}`"]
        for d in descriptors:
            s = fam[d][f]
            row.append(
                f"{num(s['right_median'], 2)} / {num(s['wrong_median'], 2)} ({num(s['wrong_p95'], 2)})"
            )
        sim_rows.append(row)
    out += [
        "\n## Similarity: right / best wrong, median (p95 of best wrong)\n",
        table(["family", *descriptors], sim_rows),
    ]
    out += [
        "\n## Separation: AUC of right vs best-wrong similarity\n",
        metric_table("auc", lambda x: num(x, 3)),
    ]
    taus = ", ".join(f"{d} {main[d].tau:.3f}" for d in descriptors)
    out += [
        f"\n## Confident answers (top-1 right and similarity ≥ τ; τ: {taus})\n",
        metric_table("confident"),
    ]
    lat_rows = []
    for d in descriptors:
        for mirror in (False, True):
            o = runs[(d, mirror)].overall()
            lat_rows.append(
                [
                    d,
                    "on" if mirror else "off",
                    num(o["latency_p50"]),
                    num(o["latency_p95"]),
                    num(o["latency_p99"]),
                ]
            )
    out += [
        "\n## Query latency, end to end (bytes → JSON), ms, all families\n",
        "Includes decoding the query file (a 1280x720 PNG takes ~10 ms), border cutting, the "
        "descriptor, the search and the catalogue look-ups. Index: the small corpus above.\n\n",
        table(["descriptor", "mirror", "p50", "p95", "p99"], lat_rows, "llrrr"),
    ]
    mirror_rows = []
    for d in descriptors:
        off, on = runs[(d, False)], runs[(d, True)]
        foff, fon = off.families(), on.families()
        others = [f for f in families if f != "flip"]
        oo, no = off.overall(), on.overall()
        mirror_rows.append(
            [
                d,
                f"{pct(foff['flip']['top1_episode'])} → {pct(fon['flip']['top1_episode'])}",
                f"{pct(foff['flip']['top1_time'])} → {pct(fon['flip']['top1_time'])}",
                f"{pct(np.mean([foff[f]['top1_episode'] for f in others]))} → "
                f"{pct(np.mean([fon[f]['top1_episode'] for f in others]))}",
                f"{num(off.tau, 3)} → {num(on.tau, 3)}",
                f"{pct(np.mean([foff[f]['confident'] for f in others]))} → "
                f"{pct(np.mean([fon[f]['confident'] for f in others]))}",
                f"{num(oo['latency_p50'])} → {num(no['latency_p50'])}",
                f"{num(oo['latency_p95'])} → {num(no['latency_p95'])}",
            ]
        )
    out += [
        "\n## Searching the mirror image too (`mirror`): off → on\n",
        "Both views are embedded in one batch and searched together; the better scene wins.\n\n",
        table(
            [
                "descriptor",
                "flip top-1",
                "flip +time",
                "other families top-1",
                "τ (1 % wrong)",
                "other families confident",
                "p50 ms",
                "p95 ms",
            ],
            mirror_rows,
        ),
    ]
    out += [
        "\n![top-1 by family](accuracy_top1.png)\n",
        "\n![similarity of right vs best wrong answers](accuracy_similarity.png)\n",
    ]
    _charts(paths, main, families, descriptors)
    data = {
        "run": info.as_dict(),
        "per_family": per_family,
        "seed": seed,
        "index": {d: main[d].index for d in descriptors},
        "families": {f"{d}/mirror={m}": r.families() for (d, m), r in runs.items()},
        "overall": {f"{d}/mirror={m}": r.overall() for (d, m), r in runs.items()},
        "queries": [asdict(q) for q in queries],
        "outcomes": {
            f"{d}/mirror={m}": [asdict(o) for o in r.outcomes] for (d, m), r in runs.items()
        },
    }
    return write(paths, "accuracy", "\n".join(out), data)


def _charts(
    paths: BenchPaths, main: dict[str, Run], families: list[str], descriptors: Sequence[str]
) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        say("matplotlib is not installed (pip install -e '.[bench]'): no charts")
        return
    fam = {d: main[d].families() for d in descriptors}
    fig, ax = plt.subplots(figsize=(12, 6.5))
    width = 0.8 / len(descriptors)
    x = np.arange(len(families))
    for i, d in enumerate(descriptors):
        ax.bar(x + i * width, [fam[d][f]["top1_episode"] * 100 for f in families], width, label=d)
    ax.set_xticks(x + 0.4 - width / 2, families, rotation=60, ha="right")
    ax.set_ylabel("top-1 right episode (%)")
    ax.set_ylim(0, 105)
    ax.set_title(f"Top-1 right episode by edit family (mirror {'on' if DEFAULT_MIRROR else 'off'})")
    ax.legend(ncols=len(descriptors), loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(paths.results / "accuracy_top1.png", dpi=90)
    plt.close(fig)

    fig, axes = plt.subplots(1, len(descriptors), figsize=(4 * len(descriptors), 3.6), sharey=True)
    bins = np.linspace(0, 1, 41)
    for ax, d in zip(np.atleast_1d(axes), descriptors, strict=True):
        right = np.array([o.right for o in main[d].outcomes])
        wrong = np.array([o.wrong for o in main[d].outcomes])
        ax.hist(
            np.nan_to_num(right, nan=0.0), bins, alpha=0.6, label="right episode", color="tab:green"
        )
        ax.hist(wrong, bins, alpha=0.6, label="best wrong", color="tab:red")
        ax.axvline(main[d].tau, color="k", ls="--", lw=1, label=f"τ = {main[d].tau:.2f}")
        ax.set_title(d)
        ax.set_xlabel("similarity")
        ax.legend(fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("queries (all families)")
    fig.tight_layout()
    fig.savefig(paths.results / "accuracy_similarity.png", dpi=90)
    plt.close(fig)


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
    rows, hard_rows = [], []
    for r in runs:
        o, ix, fams = r.overall(), r.index, r.families()
        hours = ix["show_seconds"] / 3600
        rows.append(
            [
                r.label,
                f"{ix['show_frames'] / hours:,.0f}",
                num(ix["embed"] / max(1, ix["frames"]) * 1000, 2),
                num(ix["wall"]),
                pct(o["top1_episode"], 1),
                pct(o["top1_time"], 1),
                pct(o["top1_range"], 1),
                num(o["mrr10"], 3),
                pct(o["confident"], 1),
                f"{o['worst_family']} {pct(o['worst_top1'])}",
                num(o["latency_p50"]),
            ]
        )
        hard_rows.append([r.label, *[pct(fams[f]["top1_time"]) for f in HARD if f in fams]])
    notes = f"""
The default descriptor (sscd_distilled), mirror {"on" if DEFAULT_MIRROR else "off"} (the default), the same corpus and
{len(queries)} of accuracy.md's queries (every other frame in the full run), re-indexed with one setting changed at a time. Means are over the edit
families (each family weighs the same).

- **frames/hour**: frames kept per hour of the show's video (Big Buck Bunny: continuous 3-D
  animation with few held frames; cel anime holds frames more and keeps fewer).
- **embed ms/frame**: descriptor time per kept frame during indexing (2 cores).
- **index s**: wall time to index the whole corpus ({(corpus.show_seconds + corpus.distractor_seconds) / 60:.1f} min of video).
"""
    md = [info.header("Settings sweeps: sampling rate, dedupe, descriptor input size", notes)]
    md.append(
        table(
            [
                "setting",
                "frames/hour",
                "embed ms/frame",
                "index s",
                "top-1 episode",
                "+time ±1 s",
                "+range",
                "MRR@10",
                "confident",
                "worst family",
                "p50 ms",
            ],
            rows,
        )
    )
    md += ["\n### +time ±1 s in the hardest families\n", table(["setting", *HARD], hard_rows)]
    data = {
        "run": info.as_dict(),
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
    return write(paths, "sweeps", "\n".join(md), data)
