"""Markdown and charts for accuracy.json and sweeps.json (``bench.accuracy`` measures).

Everything here reads the saved JSON only, so a report can be rewritten without re-measuring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.markdown import header, num, pct, table

Data = dict[str, Any]


def _key(descriptor: str, mirror: bool) -> str:
    return f"{descriptor}/mirror={mirror}"


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def render_accuracy(data: Data) -> str:
    descriptors: list[str] = data["descriptors"]
    default = bool(data["default_mirror"])
    families = [e["name"] for e in data["edits"]]
    fam = {d: data["families"][_key(d, default)] for d in descriptors}
    out = [header("Accuracy under screenshot edits", data["run"], _accuracy_notes(data))]
    edit_rows = [(f"`{e['name']}`", e["group"], e["description"]) for e in data["edits"]]
    out += [
        "## Edit families (`bench.edits`)\n",
        table(["family", "group", "edit"], edit_rows, "lll"),
    ]

    def metric_table(key: str, fmt: Callable[[float], str] = pct) -> str:
        rows = [[f"`{f}`", *[fmt(fam[d][f][key]) for d in descriptors]] for f in families]
        mean = [float(np.nanmean([fam[d][f][key] for f in families])) for d in descriptors]
        rows.append(["**mean**", *[f"**{fmt(m)}**" for m in mean]])
        return table(["family", *descriptors], rows)

    tol = f"±{data['time_tolerance']:g} s"
    out += ["\n## Top-1 right episode\n", metric_table("top1_episode")]
    out += [f"\n## Top-1 right episode and time ({tol})\n", metric_table("top1_time")]
    out += [
        f"\n## Top-1 right episode and the frame's time in its range ({tol})\n",
        metric_table("top1_range"),
    ]
    out += ["\n## MRR@10 (right episode)\n", metric_table("mrr10", lambda x: num(x, 3))]
    sim_rows = []
    for f in families:
        row = [f"`{f}`"]
        for d in descriptors:
            s = fam[d][f]
            row.append(
                f"{num(s['right_median'], 2)} / {num(s['wrong_median'], 2)} "
                f"({num(s['wrong_p95'], 2)})"
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
    overall = data["overall"]
    taus = ", ".join(f"{d} {overall[_key(d, default)]['tau']:.3f}" for d in descriptors)
    out += [
        f"\n## Confident answers (top-1 right and similarity ≥ τ; τ: {taus})\n",
        metric_table("confident"),
        _latency(data),
        _mirror(data),
        "\n![top-1 by family](accuracy_top1.png)\n",
        "\n![similarity of right vs best wrong answers](accuracy_similarity.png)\n",
    ]
    return "\n".join(out)


def _accuracy_notes(data: Data) -> str:
    c, descriptors = data["corpus"], data["descriptors"]
    per_family = data["per_family"]
    frames = data["index"][descriptors[0]]["frames"]
    tol = f"±{data['time_tolerance']:g} s"
    return f"""
Corpus: {c["episodes"]} episodes of "{c["show"]}" ({c["show_seconds"]:.0f} s, the clips in
shared/media cut at shot changes and re-encoded to H.264) plus {c["distractor_seconds"] / 60:.1f}
min of distractor video (bikes.mp4 and FFmpeg generators); {frames} frames indexed at the
default settings. Queries: {per_family} frames at random times (seed {data["seed"]}), taken from the
original clips (not the indexed re-encode), each edited by every family below, so the families
are compared on the same frames. Default settings (rate 2 fps, dedupe 4 bits/4 s, embed 224,
mirror {_on(data["default_mirror"])}) unless a table says otherwise. Every query is one `Sabi.search(bytes)` call.

- **top-1 episode**: the first scene is from the right episode.
- **+time**: ... and its `at` is within {tol} of the frame's time.
- **+range**: ... and the frame's time lies in its `from`-`to` range ({tol}): the
  right scene. A deduplicated run of near-identical frames answers with the run's first frame
  as `at` and the run's span as the range, so +range ≥ +time; the gap is dedupe's holding.
- **MRR@10**: mean reciprocal rank of the first right-episode scene in the 10 returned.
- **right / best wrong**: median similarity of the right episode's best scene, and median (p95)
  of the best scene from any other episode: how far apart the two are.
- **AUC**: the chance a right answer's similarity beats a random query's best wrong one (1 = a
  threshold separates them perfectly, 0.5 = no better than chance).
- **confident**: top-1 right and its similarity ≥ τ, where τ (per descriptor, all families
  together) is the similarity that only {data["false_accept"]:.0%} of best-wrong answers reach: the share
  of queries a UI could answer without showing alternatives.
"""


def _latency(data: Data) -> str:
    rows = []
    for d in data["descriptors"]:
        for mirror in (False, True):
            o = data["overall"][_key(d, mirror)]
            rows.append([d, _on(mirror), *[num(o[f"latency_{p}"]) for p in ("p50", "p95", "p99")]])
    return (
        "\n## Query latency, end to end (bytes → JSON), ms, all families\n\n"
        "Includes decoding the query file (a 1280x720 PNG takes ~10 ms), border cutting, the "
        "descriptor, the search and the catalogue look-ups. Index: the small corpus above.\n\n\n"
        + table(["descriptor", "mirror", "p50", "p95", "p99"], rows, "llrrr")
    )


def _mirror(data: Data) -> str:
    rows = []
    for d in data["descriptors"]:
        foff, fon = data["families"][_key(d, False)], data["families"][_key(d, True)]
        oo, no = data["overall"][_key(d, False)], data["overall"][_key(d, True)]
        others = [f for f in foff if f != "flip"]

        def mean(fams: dict[str, Any], key: str, others: list[str] = others) -> str:
            return pct(float(np.mean([fams[f][key] for f in others])))

        rows.append(
            [
                d,
                f"{pct(foff['flip']['top1_episode'])} → {pct(fon['flip']['top1_episode'])}",
                f"{pct(foff['flip']['top1_time'])} → {pct(fon['flip']['top1_time'])}",
                f"{mean(foff, 'top1_episode')} → {mean(fon, 'top1_episode')}",
                f"{num(oo['tau'], 3)} → {num(no['tau'], 3)}",
                f"{mean(foff, 'confident')} → {mean(fon, 'confident')}",
                f"{num(oo['latency_p50'])} → {num(no['latency_p50'])}",
                f"{num(oo['latency_p95'])} → {num(no['latency_p95'])}",
            ]
        )
    headers = [
        "descriptor",
        "flip top-1",
        "flip +time",
        "other families top-1",
        "τ (1 % wrong)",
        "other families confident",
        "p50 ms",
        "p95 ms",
    ]
    return (
        "\n## Searching the mirror image too (`mirror`): off → on\n\n"
        "Both views are embedded in one batch and searched together; the better scene wins.\n\n\n"
        + table(headers, rows)
    )


def charts(data: Data, results: Path) -> bool:
    """accuracy_top1.png and accuracy_similarity.png; False where matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    descriptors: Sequence[str] = data["descriptors"]
    default = bool(data["default_mirror"])
    families = [e["name"] for e in data["edits"]]
    fam = {d: data["families"][_key(d, default)] for d in descriptors}
    fig, ax = plt.subplots(figsize=(12, 6.5))
    width = 0.8 / len(descriptors)
    x = np.arange(len(families))
    for i, d in enumerate(descriptors):
        ax.bar(x + i * width, [fam[d][f]["top1_episode"] * 100 for f in families], width, label=d)
    ax.set_xticks(x + 0.4 - width / 2, families, rotation=60, ha="right")
    ax.set_ylabel("top-1 right episode (%)")
    ax.set_ylim(0, 105)
    ax.set_title(f"Top-1 right episode by edit family (mirror {_on(default)})")
    ax.legend(ncols=len(descriptors), loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(results / "accuracy_top1.png", dpi=90)
    plt.close(fig)

    fig, axes = plt.subplots(1, len(descriptors), figsize=(4 * len(descriptors), 3.6), sharey=True)
    bins = np.linspace(0, 1, 41)
    for ax, d in zip(np.atleast_1d(axes), descriptors, strict=True):
        outcomes = data["outcomes"][_key(d, default)]
        tau = data["overall"][_key(d, default)]["tau"]
        right = np.array([o["right"] for o in outcomes], np.float64)
        wrong = np.array([o["wrong"] for o in outcomes], np.float64)
        ax.hist(
            np.nan_to_num(right, nan=0.0), bins, alpha=0.6, label="right episode", color="tab:green"
        )
        ax.hist(wrong, bins, alpha=0.6, label="best wrong", color="tab:red")
        ax.axvline(tau, color="k", ls="--", lw=1, label=f"τ = {tau:.2f}")
        ax.set_title(d)
        ax.set_xlabel("similarity")
        ax.legend(fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("queries (all families)")
    fig.tight_layout()
    fig.savefig(results / "accuracy_similarity.png", dpi=90)
    plt.close(fig)
    return True


# ----- sweeps.json


def render_sweeps(data: Data) -> str:
    hard: list[str] = data["hard"]
    rows, hard_rows = [], []
    for r in data["configs"]:
        o, ix, fams = r["overall"], r["index"], r["families"]
        hours = ix["show_seconds"] / 3600
        rows.append(
            [
                r["label"],
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
        hard_rows.append([r["label"], *[pct(fams[f]["top1_time"]) for f in hard if f in fams]])
    c = data["corpus"]
    minutes = (c["show_seconds"] + c["distractor_seconds"]) / 60
    mirror = _on(data["default_mirror"])
    notes = f"""
The default descriptor (sscd_distilled), mirror {mirror} (the default), the same corpus and
{data["queries"]} of accuracy.md's queries (every other frame in the full run), re-indexed with one setting changed at a time. Means are over the edit
families (each family weighs the same).

- **frames/hour**: frames kept per hour of the show's video (Big Buck Bunny: continuous 3-D
  animation with few held frames; cel anime holds frames more and keeps fewer).
- **embed ms/frame**: descriptor time per kept frame during indexing (2 cores).
- **index s**: wall time to index the whole corpus ({minutes:.1f} min of video).
"""
    headers = [
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
    ]
    md = [
        header("Settings sweeps: sampling rate, dedupe, descriptor input size", data["run"], notes),
        table(headers, rows),
        "\n### +time ±1 s in the hardest families\n",
        table(["setting", *hard], hard_rows),
    ]
    return "\n".join(md)
