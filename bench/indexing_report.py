"""Markdown for indexing.json (``bench.indexing`` measures; this reads the JSON only)."""

from __future__ import annotations

from typing import Any

from bench.markdown import header, num, pct, table

NOTES = """
Sources: the Big Buck Bunny clips looped to the length shown, H.264 (x264 veryfast, CRF 21,
24 fps), one at 854x480 and one at 1280x720 (built once into bench/work/long). Default settings
(rate 2 fps, 320 px wide frames, border cut, dedupe 4 bits / 4 s, sscd_distilled), FAISS store.

- **decode all**: every frame decoded, nothing converted (PyAV, FFmpeg's own threads).
- **decode-only**: the limit: decode + sample at 2 fps + scale to 320 wide + crop, exactly what
  the indexer's first stage does, nothing after it (best of two runs, one before and one after
  the index run).
- **sabi index**: the whole `sabi index FILE` command in a fresh process (Python start, model
  load, catalogue, store, everything). x real time = video duration / wall.
- **ratio** = decode-only ÷ sabi index (goal ≥ 0.8: indexing costs at most 25 % more than
  decoding).
- **fixed cost**: wall time of the same command run again (nothing left to do: Python start,
  imports, model load, catalogue); a library of many files pays it once.
- **peak RSS**: of the `sabi index` process.
"""


def _floor(src: dict[str, Any]) -> float:
    """The decode-only time: the better of the runs before and after `sabi index`."""
    return float(min(run["seconds"] for run in src["decode_sampled"]))


def _row(src: dict[str, Any]) -> list[str]:
    idx, bd, duration = src["index"], src["breakdown"], src["duration"]
    floor = _floor(src)
    return [
        f"{src['height']}p",
        f"{duration / 60:.1f} min",
        num(src["decode_all"]["seconds"]),
        num(floor),
        num(idx["wall"]),
        f"{duration / idx['wall']:.1f}x",
        f"{duration / floor:.1f}x",
        f"**{floor / idx['wall']:.2f}**",
        f"{idx['fixed']:.1f} s, {floor / max(1e-9, idx['wall'] - idx['fixed']):.2f}",
        f"{bd['sampled']:,} → {bd['kept']:,} ({pct(bd['kept'] / max(1, bd['sampled']))})",
        f"{idx['peak_rss_mib']:.0f}",
    ]


def _stage_row(src: dict[str, Any]) -> list[str]:
    stages = src["breakdown"]["stages"]
    total = sum(stages.values())
    return [
        f"{src['height']}p",
        *[f"{v:.1f} s ({pct(v / total)})" for v in stages.values()],
        num(total),
    ]


def _variant_rows(src: dict[str, Any]) -> list[list[str]]:
    rows = []
    for label, v in src.get("variants", {}).items():
        floor = v["decode_sampled_s"] if v["decode_sampled_s"] is not None else _floor(src)
        rows.append(
            [
                f"{src['height']}p, {label}",
                num(floor),
                num(v["wall"]),
                f"{src['duration'] / v['wall']:.1f}x",
                f"{floor / v['wall']:.2f}",
                f"{v['frames']:,}",
                f"{v['peak_rss_mib']:.0f}",
            ]
        )
    return rows


def render(data: dict[str, Any]) -> str:
    sources = data["sources"]
    md = [header("Indexing speed against the decode limit", data["run"], NOTES)]
    md.append(
        table(
            [
                "source",
                "length",
                "decode all s",
                "decode-only s",
                "sabi index s",
                "x real time",
                "decode x real time",
                "ratio",
                "fixed cost, ratio without it",
                "frames sampled → kept",
                "peak RSS MiB",
            ],
            [_row(src) for src in sources],
        )
    )
    stage_names = list(sources[0]["breakdown"]["stages"])
    md += [
        "\n## Where the time goes (stages run one after another, in one process)\n",
        "In `sabi index` decoding runs in one thread and embedding in another, so their times "
        "overlap; here each is timed alone to show its share.\n\n",
        table(["source", *stage_names, "total s"], [_stage_row(src) for src in sources]),
    ]
    variant_rows = [row for src in sources for row in _variant_rows(src)]
    if variant_rows:
        md += [
            "\n## Variants (the longest source)\n",
            "`model threads 1`: SABI_THREADS=1, so ONNX Runtime takes one core and leaves the "
            "other to FFmpeg.\n\n",
            table(
                [
                    "run",
                    "decode-only s",
                    "sabi index s",
                    "x real time",
                    "ratio",
                    "frames kept",
                    "peak RSS MiB",
                ],
                variant_rows,
            ),
        ]
    return "\n".join(md)
