"""Indexing speed against its physical limit: decoding the file.

Indexing must decode every frame of the file (H.264 cannot skip to the sampled ones), so the
time to decode the same file at the same sampling, scaling and cropping is a floor: the pipeline
can only approach it. Every measurement runs in a fresh process (``python -m
sabi.bench.indexing <mode> ...``) so peak RSS belongs to that measurement alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sabi.bench.common import BenchPaths, RunInfo, num, pct, run_child, say, table, write
from sabi.bench.corpus import long_source


def _settings(data_dir: Path, **overrides: Any):
    from sabi.settings import Settings

    return Settings(data_dir=data_dir, **overrides)


# ----- child processes


def child_decode(src: Path, mode: str, rate: float) -> dict[str, Any]:
    from sabi.prepare.decode import decoded_frames, probe_crop, sample_frames

    s = _settings(Path(tempfile.gettempdir()) / "unused", rate=rate)
    t0 = time.perf_counter()
    n = 0
    if mode == "all":
        for _ in decoded_frames(src):
            n += 1
    else:
        crop = probe_crop(src, s.resolution, s.black_level) if s.cut_borders else None
        for _ in sample_frames(src, s.rate, s.resolution, crop):
            n += 1
    return {"seconds": time.perf_counter() - t0, "frames": n}


def child_breakdown(src: Path, rate: float) -> dict[str, Any]:
    """The indexing stages one after another, each timed on its own."""
    import numpy as np

    from sabi.app import Sabi
    from sabi.prepare.decode import probe, probe_crop, sample_frames
    from sabi.prepare.distinct import DistinctStats, keep_distinct
    from sabi.prepare.shots import detect_cuts

    data_dir = Path(tempfile.mkdtemp(prefix="sabi-bench-"))
    try:
        s = _settings(data_dir, rate=rate)
        sabi = Sabi(s)
        embedder = sabi.embedder
        embedder.embed([np.zeros((180, 320, 3), np.uint8)])  # load the model before timing
        t: dict[str, float] = {}
        t0 = time.perf_counter()
        info = probe(src)
        crop = probe_crop(src, s.resolution, s.black_level)
        t["probe + border scan"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        frames = list(sample_frames(src, s.rate, s.resolution, crop))
        t["decode + sample + scale"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        cuts: list[float] = []
        frames = list(detect_cuts(frames, cuts))
        t["shot cuts"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        stats = DistinctStats()
        kept = list(
            keep_distinct(
                frames,
                distance=s.dedupe_distance,
                max_span=s.dedupe_max_span,
                black_level=s.black_level,
                stats=stats,
            )
        )
        t["dedupe (dHash)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        vectors = np.concatenate(
            [
                embedder.embed([k.rgb for k in kept[i : i + s.batch_size]])
                for i in range(0, len(kept), s.batch_size)
            ]
        )
        t["embed"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        sabi.store.add(
            1,
            vectors,
            np.array([k.start for k in kept], np.float32),
            np.array([k.end for k in kept], np.float32),
        )
        sabi.store.flush()  # type: ignore[attr-defined]
        t["store"] = time.perf_counter() - t0
        sabi.close()
        return {
            "stages": t,
            "duration": info.duration,
            "sampled": stats.sampled,
            "black": stats.black,
            "kept": stats.kept,
            "dim": int(vectors.shape[1]),
        }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def child_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["all", "sampled", "breakdown"])
    p.add_argument("src", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--rate", type=float, default=2.0)
    a = p.parse_args(argv)
    if a.mode == "breakdown":
        result = child_breakdown(a.src, a.rate)
    else:
        result = child_decode(a.src, a.mode, a.rate)
    a.out.write_text(json.dumps(result))


def _child(mode: str, src: Path, rate: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        wall, rss, code = run_child(
            [
                sys.executable,
                "-m",
                "sabi.bench.indexing",
                mode,
                str(src),
                str(out),
                "--rate",
                str(rate),
            ]
        )
        if code:
            raise RuntimeError(f"benchmark child {mode} failed ({code})")
        result = json.loads(out.read_text())
    result["process_wall"], result["peak_rss_mib"] = wall, rss
    return result


def _sabi_index(src: Path, rate: float, threads: int | None = None) -> dict[str, Any]:
    """`sabi index` as a user runs it: wall time of the whole command, its peak RSS."""
    sabi = Path(sys.executable).with_name("sabi")
    cmd = [str(sabi)] if sabi.exists() else [sys.executable, "-m", "sabi.cli"]
    env = dict(os.environ)
    if threads is not None:
        env["SABI_THREADS"] = str(threads)
    with tempfile.TemporaryDirectory(prefix="sabi-bench-") as tmp:
        wall, rss, code = run_child(
            [
                *cmd,
                "index",
                str(src),
                "--data-dir",
                tmp,
                "--rate",
                str(rate),
                "-q",
                "--show",
                "bench",
            ],
            env=env,
        )
        if code:
            raise RuntimeError(f"sabi index failed ({code})")
        frames = _frames_in(Path(tmp))
        # The same command again finds nothing to do: its wall time is the fixed cost (Python,
        # imports, model load, catalogue), which a long run pays once.
        fixed, _, _ = run_child(
            [*cmd, "index", str(src), "--data-dir", tmp, "-q", "--show", "bench"], env=env
        )
    return {"wall": wall, "peak_rss_mib": rss, "frames": frames, "fixed": fixed}


def _frames_in(data_dir: Path) -> int:
    from sabi.catalog import Catalog

    catalog = Catalog(f"sqlite:///{data_dir / 'sabi.db'}")
    try:
        return catalog.stats().frames
    finally:
        catalog.close()


# ----- the benchmark


def bench_indexing(paths: BenchPaths, *, minutes: float, heights=(480, 720)) -> Path:
    info = RunInfo()
    rows, stage_rows, variant_rows, data = [], [], [], []
    for height in heights:
        src = long_source(paths, height, minutes * 60)
        from sabi.prepare.decode import probe

        duration = probe(src).duration
        say(f"indexing: {src.name}: decode only")
        all_frames = _child("all", src, 2.0)
        sampled = _child("sampled", src, 2.0)
        say(f"indexing: {src.name}: sabi index")
        idx = _sabi_index(src, 2.0)
        sampled_after = _child("sampled", src, 2.0)  # brackets the index run: load drift shows
        say(f"indexing: {src.name}: stage breakdown")
        bd = _child("breakdown", src, 2.0)
        floor = min(sampled["seconds"], sampled_after["seconds"])
        rows.append(
            [
                f"{height}p",
                f"{duration / 60:.1f} min",
                num(all_frames["seconds"]),
                num(floor),
                num(idx["wall"]),
                f"{duration / idx['wall']:.1f}x",
                f"{duration / floor:.1f}x",
                f"**{floor / idx['wall']:.2f}**",
                f"{idx['fixed']:.1f} s, {floor / max(1e-9, idx['wall'] - idx['fixed']):.2f}",
                f"{bd['sampled']:,} → {bd['kept']:,} ({pct(bd['kept'] / max(1, bd['sampled']))})",
                f"{idx['peak_rss_mib']:.0f}",
            ]
        )
        total = sum(bd["stages"].values())
        stage_rows.append(
            [
                f"{height}p",
                *[f"{v:.1f} s ({pct(v / total)})" for v in bd["stages"].values()],
                num(total),
            ]
        )
        stage_names = list(bd["stages"])
        runs = {
            "decode_all": all_frames,
            "decode_sampled": [sampled, sampled_after],
            "index": idx,
            "breakdown": bd,
        }
        if height == heights[-1]:
            for label, rate, threads in (
                ("rate 1", 1.0, None),
                ("rate 4", 4.0, None),
                ("model threads 1", 2.0, 1),
            ):
                say(f"indexing: {src.name}: {label}")
                v = _sabi_index(src, rate, threads)
                floor_v = _child("sampled", src, rate)["seconds"] if rate != 2.0 else floor
                runs[label] = v
                variant_rows.append(
                    [
                        f"{height}p, {label}",
                        num(floor_v),
                        num(v["wall"]),
                        f"{duration / v['wall']:.1f}x",
                        f"{floor_v / v['wall']:.2f}",
                        f"{v['frames']:,}",
                        f"{v['peak_rss_mib']:.0f}",
                    ]
                )
        data.append({"source": src.name, "height": height, "duration": duration, **runs})
    notes = """
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
    md = [info.header("Indexing speed against the decode limit", notes)]
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
            rows,
        )
    )
    md += [
        "\n## Where the time goes (stages run one after another, in one process)\n",
        "In `sabi index` decoding runs in one thread and embedding in another, so their times "
        "overlap; here each is timed alone to show its share.\n\n",
        table(["source", *stage_names, "total s"], stage_rows),
    ]
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
    return write(paths, "indexing", "\n".join(md), {"run": info.as_dict(), "sources": data})


if __name__ == "__main__":
    child_main(sys.argv[1:])
