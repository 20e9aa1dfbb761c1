"""Markdown for workers.json (``bench.workers`` measures; this reads the JSON only)."""

from __future__ import annotations

from typing import Any

from bench.markdown import header, num, table

NOTES = """
Each row: a fresh PostgreSQL database and Milvus collection (both servers on loopback, on this
same machine), the batch enqueued with `sabi enqueue`, then that many `sabi worker --once`
processes started together at default settings (sscd_distilled, rate 2 fps, `threads = 0`: each
worker's model uses every core). **wall**: from the workers' start until the last one exited,
so every worker's start-up (Python, model load, connections) is in it. **x real time**: video
seconds indexed per wall second. **CPU s**: user + system time of the worker processes; **cores used**: CPU s
/ wall (2 at most here; well below it, the workers waited for cores other work held).
**video s / CPU s**: indexing throughput per core-second, the figure that scales to other
machines. **jobs per worker**: how the queue shared the batch out.

This machine has **2 cores**, and other work (the load averages above) shared them during the
run: more than two workers cannot go faster here, and two can at best double one worker's speed
only when one worker leaves a core idle (while it decodes in one thread and embeds in another,
it already keeps both cores busy much of the time). What more workers buy on more cores or more
machines follows from the video seconds per CPU second, not from this table's wall times.
"""


def render(data: dict[str, Any]) -> str:
    batch = data["batch"]
    runs = data["runs"]
    base = runs[0]["wall"] if runs else 0.0
    rows = [
        [
            r["workers"],
            num(r["wall"]),
            f"{r['video_seconds'] / r['wall']:.1f}x",
            f"{base / r['wall']:.2f}" if r["wall"] else "–",
            num(r["cpu_seconds"]),
            f"{r['cpu_seconds'] / r['wall']:.2f}" if r["wall"] else "–",
            f"{r['video_seconds'] / r['cpu_seconds']:.2f}" if r["cpu_seconds"] else "–",
            f"{r['done']}/{r['jobs']}",
            ", ".join(map(str, r["jobs_per_worker"])),
            f"{r['frames']:,} / {r['stored_vectors']:,}",
        ]
        for r in runs
    ]
    w, h = batch["size"]
    derived = _per_core(runs)
    title = "Indexing throughput of 1, 2 and 4 queue workers"
    return (
        header(title, data["run"], NOTES)
        + f"\nBatch: {batch['videos']} videos x {batch['seconds']:g} s, {w}x{h}, "
        f"{batch['fps']} fps H.264.\n\n"
        + table(
            [
                "workers",
                "wall (s)",
                "x real time",
                "speed-up",
                "CPU s",
                "cores used",
                "video s / CPU s",
                "jobs done",
                "jobs per worker",
                "frames / vectors",
            ],
            rows,
        )
        + derived
    )


def _per_core(runs: list[dict[str, Any]]) -> str:
    """Each extra worker adds its start-up CPU (imports, model load, connections); the slope of
    CPU time over worker count estimates it, and what is left of one worker's CPU time is the
    steady-state cost of the batch itself."""
    if len(runs) < 2:
        return ""
    n = [r["workers"] for r in runs]
    cpu = [r["cpu_seconds"] for r in runs]
    mean_n, mean_c = sum(n) / len(n), sum(cpu) / len(cpu)
    slope = sum((a - mean_n) * (c - mean_c) for a, c in zip(n, cpu, strict=True)) / sum(
        (a - mean_n) ** 2 for a in n
    )
    steady = cpu[0] - slope * n[0]
    video = runs[0]["video_seconds"]
    if steady <= 0:
        return ""
    return (
        f"\nStart-up CPU per worker (slope of CPU s over workers): {slope:.1f} s. Without it, "
        f"the batch costs {steady:.1f} CPU s: **{video / steady:.1f} video seconds per CPU "
        f"second** (as many hours of video per core-hour), the "
        "steady-state rate of one worker core at these settings.\n"
    )
