"""``python -m bench.stress.load``: searches at rising offered rates against a ``sabi serve``
process on loopback, then the same with ``sabi index`` running beside it. Writes
bench/results/stress-load.json and .md (``load_report`` writes the Markdown).

Open loop: request i of a step is sent at its scheduled time whether or not earlier ones have
been answered, so a slow server meets the load a crowd would give it rather than slowing its
client down. Latency counts from the scheduled time (a late send is the client's lag and is
recorded apart). Each step is followed by the next; the last one drops back to a low rate to
show whether the server recovers."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import percentiles, rss_mib, say
from bench.markdown import publish
from bench.stress.cli_args import parser, start
from bench.stress.load_report import P99_GOAL_MS, render
from bench.stress.media import copy_clips, screenshot_queries, synthetic_episodes
from bench.stress.server import ServeProcess


async def _one(
    client: httpx.AsyncClient, url: str, body: bytes, due: float, out: list[dict[str, Any]]
) -> None:
    sent = time.perf_counter()
    try:
        r = await client.post(url, content=body, headers={"content-type": "image/jpeg"})
        status = r.status_code
    except httpx.HTTPError as exc:
        status = 0
        out.append({"status": 0, "error": type(exc).__name__})
    done = time.perf_counter()
    if status:
        out.append({"status": status, "ms": (done - due) * 1000, "lag_ms": (sent - due) * 1000})


async def _step(
    url: str, queries: list[bytes], rate: float, seconds: float, pid: int
) -> dict[str, Any]:
    """``rate`` searches a second for ``seconds``, evenly spaced; every answer awaited."""
    results: list[dict[str, Any]] = []
    rss: list[float] = []
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        start = time.perf_counter()
        tasks = []
        n = int(rate * seconds)
        for i in range(n):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            body = queries[i % len(queries)]
            tasks.append(asyncio.create_task(_one(client, f"{url}/search", body, due, results)))
            if i % max(1, int(rate / 2)) == 0:
                rss.append(rss_mib(pid))
        sending = time.perf_counter() - start
        await asyncio.gather(*tasks)
        took = time.perf_counter() - start
    rss.append(rss_mib(pid))
    return _summary(rate, seconds, sending, took, results, rss)


def _summary(
    rate: float,
    seconds: float,
    sending: float,
    took: float,
    results: list[dict[str, Any]],
    rss: list[float],
) -> dict[str, Any]:
    ok = [r["ms"] for r in results if r["status"] == 200]
    busy = [r["ms"] for r in results if r["status"] == 503]
    other: dict[str, int] = {}
    for r in results:
        if r["status"] not in (200, 503):
            key = str(r["status"]) if r["status"] else r["error"]
            other[key] = other.get(key, 0) + 1
    p50, p99 = percentiles(ok, (50, 99))
    b50, b99 = percentiles(busy, (50, 99))
    lag = [r["lag_ms"] for r in results if "lag_ms" in r]
    return {
        "offered_per_s": rate,
        "seconds": seconds,
        "sent": len(results),
        "send_seconds": round(sending, 2),
        "all_answered_seconds": round(took, 2),
        "ok": len(ok),
        "ok_per_s": len(ok) / max(took, seconds),
        "ok_p50_ms": p50,
        "ok_p99_ms": p99,
        "ok_max_ms": max(ok, default=float("nan")),
        "busy": len(busy),
        "busy_p50_ms": b50,
        "busy_p99_ms": b99,
        "other": other,
        "client_lag_p99_ms": percentiles(lag, (99,))[0],
        "rss_mib_max": max(rss, default=0.0),
        "rss_mib_end": rss[-1] if rss else 0.0,
    }


def sustained(steps: list[dict[str, Any]]) -> float | None:
    """The highest offered rate answered in full (≥ 99 % 200s, at ≥ 95 % of the offered rate)
    with p99 ≤ 150 ms; None if no step managed it."""
    good = [
        s["offered_per_s"]
        for s in steps
        if s["sent"]
        and s["ok"] >= 0.99 * s["sent"]
        and s["ok_p99_ms"] <= P99_GOAL_MS
        and s["ok_per_s"] >= 0.95 * s["offered_per_s"]
    ]
    return max(good) if good else None


def run_steps(
    url: str, queries: list[bytes], rates: list[float], seconds: float, pid: int
) -> list[dict[str, Any]]:
    steps = []
    for rate in rates:
        step = asyncio.run(_step(url, queries, rate, seconds, pid))
        say(
            f"{rate:>5.0f}/s: {step['ok_per_s']:.1f} ok/s, p50 {step['ok_p50_ms']:.0f} ms, "
            f"p99 {step['ok_p99_ms']:.0f} ms, 503 {step['busy']} (p50 {step['busy_p50_ms']:.0f} "
            f"ms), other {step['other']}, RSS {step['rss_mib_max']:.0f} MiB"
        )
        steps.append(step)
    return steps


class IndexChurn(threading.Thread):
    """``sabi index`` of a folder, then ``sabi remove`` of its show, again and again until
    stopped: an indexer always at work beside the server."""

    def __init__(self, folder: Path, data: Path, show: str):
        super().__init__(daemon=True)
        self.folder, self.data, self.show = folder, data, show
        self.cycles = 0
        self.failures: list[str] = []
        self.busy_seconds = 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        base = [sys.executable, "-m", "sabi.cli"]
        while not self._halt.is_set():
            t0 = time.perf_counter()
            for args in (
                ["index", str(self.folder), "-q", "--show", self.show],
                ["remove", "--show", self.show],
            ):
                done = subprocess.run(
                    [*base, *args, "--data-dir", str(self.data)], capture_output=True, text=True
                )
                if done.returncode != 0:
                    self.failures.append(f"{args[0]}: {done.stderr[-500:]}")
            self.busy_seconds += time.perf_counter() - t0
            self.cycles += 1

    def stop(self) -> None:
        self._halt.set()
        self.join(300)


def prepare(work: Path, media: Path, seed: int, queries: int) -> tuple[Path, Path, list[bytes]]:
    """The small index (the real clips), the churn folder and the screenshot queries."""
    clips_dir = work / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    clips = copy_clips(media, clips_dir, 1)
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "sabi.cli", "index", str(clips_dir), "-q", "--data-dir", str(data)],
        check=True,
    )
    churn = work / "Beside Show"
    synthetic_episodes(churn, 12.0, count=4)
    return data, churn, screenshot_queries(clips, queries, seed)


def measure(
    work: Path, media: Path, *, rates: list[float], seconds: float, recover: float, seed: int
) -> dict[str, Any]:
    data, churn_dir, queries = prepare(work, media, seed, 40)
    sizes = sorted(len(q) for q in queries)
    out: dict[str, Any] = {
        "rates": rates,
        "seconds": seconds,
        "recover_rate": recover,
        "queries": {"count": len(queries), "median_bytes": sizes[len(sizes) // 2]},
    }
    plan = [*rates, recover]
    with ServeProcess(data, work / "serve.log") as server:
        with httpx.Client(timeout=60) as c:  # warm-up: the model's first runs are slow
            for q in queries[:10]:
                c.post(f"{server.url}/search", content=q)
            out["status"] = c.get(f"{server.url}/status").json()
        say("searches alone")
        out["alone"] = run_steps(server.url, queries, plan, seconds, server.pid)
        say("searches with sabi index beside them")
        churn = IndexChurn(churn_dir, data, "Beside Show")
        churn.start()
        try:
            out["indexing"] = run_steps(server.url, queries, plan, seconds, server.pid)
        finally:
            churn.stop()
        out["churn"] = {"cycles": churn.cycles, "failures": churn.failures[:10]}
        out["server_exit"] = server.stop()
    out["sustained_alone"] = sustained(out["alone"][:-1])
    out["sustained_indexing"] = sustained(out["indexing"][:-1])
    return out


def main(argv: list[str] | None = None) -> None:
    p = parser("python -m bench.stress.load", __doc__, "stress-load")
    p.add_argument("--rates", default="5,10,20,30,40,60", help="Offered searches/s, in order.")
    p.add_argument("--seconds", type=float, default=15.0, help="Length of each step.")
    p.add_argument("--recover", type=float, default=5.0, help="The low rate after the last step.")
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args(argv)
    info, media = start("python -m bench.stress.load", a)
    rates = [float(x) for x in a.rates.split(",") if x]
    data = measure(
        a.work,
        media,
        rates=rates,
        seconds=a.seconds,
        recover=a.recover,
        seed=a.seed,
    )
    say(f"wrote {publish(a.results, 'stress-load', {'run': info.facts(), **data}, render)}")


if __name__ == "__main__":
    main()
