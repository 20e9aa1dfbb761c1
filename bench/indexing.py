"""Indexing speed against its physical limit: decoding the file.

Indexing must decode every frame of the file (H.264 cannot skip to the sampled ones), so the
time to decode the same file at the same sampling, scaling and cropping is a floor: the pipeline
can only approach it. Every measurement runs in a fresh process (``python -m
bench.indexing <mode> ...``) so peak RSS belongs to that measurement alone.
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
from typing import TYPE_CHECKING, Any

from bench.common import BenchPaths, RunInfo, run_child, say
from bench.corpus import long_source
from bench.indexing_report import render
from bench.markdown import publish

if TYPE_CHECKING:
    from sabi.settings import Settings

VARIANTS = (("rate 1", 1.0, None), ("rate 4", 4.0, None), ("model threads 1", 2.0, 1))


def _settings(data_dir: Path, **overrides: Any) -> Settings:
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
        sabi.store.flush()
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
                "bench.indexing",
                mode,
                str(src),
                str(out),
                "--rate",
                str(rate),
            ]
        )
        if code:
            raise RuntimeError(f"benchmark child {mode} failed ({code})")
        result: dict[str, Any] = json.loads(out.read_text())
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


def bench_indexing(
    paths: BenchPaths, *, minutes: float, heights: tuple[int, ...] = (480, 720)
) -> Path:
    info = RunInfo()
    sources = []
    for height in heights:
        src = long_source(paths, height, minutes * 60)
        sources.append(measure_source(src, height))
        if height == heights[-1]:
            sources[-1]["variants"] = measure_variants(src)
    return publish(paths.results, "indexing", {"run": info.facts(), "sources": sources}, render)


def measure_source(src: Path, height: int) -> dict[str, Any]:
    """Decode-only (all frames; sampled, before and after), `sabi index`, the stage breakdown."""
    from sabi.prepare.decode import probe

    say(f"indexing: {src.name}: decode only")
    all_frames = _child("all", src, 2.0)
    sampled = _child("sampled", src, 2.0)
    say(f"indexing: {src.name}: sabi index")
    idx = _sabi_index(src, 2.0)
    sampled_after = _child("sampled", src, 2.0)  # brackets the index run: load drift shows
    say(f"indexing: {src.name}: stage breakdown")
    return {
        "source": src.name,
        "height": height,
        "duration": probe(src).duration,
        "decode_all": all_frames,
        "decode_sampled": [sampled, sampled_after],
        "index": idx,
        "breakdown": _child("breakdown", src, 2.0),
    }


def measure_variants(src: Path) -> dict[str, Any]:
    """`sabi index` at other rates and with one model thread, each beside its decode-only time
    (the default rate's is the source's own)."""
    out = {}
    for label, rate, threads in VARIANTS:
        say(f"indexing: {src.name}: {label}")
        run = _sabi_index(src, rate, threads)
        floor = _child("sampled", src, rate)["seconds"] if rate != 2.0 else None
        out[label] = {**run, "rate": rate, "threads": threads, "decode_sampled_s": floor}
    return out


if __name__ == "__main__":
    child_main(sys.argv[1:])
