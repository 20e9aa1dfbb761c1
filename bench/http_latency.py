"""End-to-end search latency over HTTP: N sequential POST /search on a real server.

    python bench/http_latency.py                      # serves ./sabi-data on a free port
    python bench/http_latency.py --url http://host:8000 --image shot.jpg -n 200

Without --image, the query is the demo's: a frame of the first sample clip at 12.3 s,
letterboxed and JPEG-compressed (scripts/demo_query.py). Prints p50/p90/p99 in milliseconds,
and the time of one uncached and one cached preview clip.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_query(samples: Path) -> bytes:
    out = Path(tempfile.mkdtemp()) / "query.jpg"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo_query.py"), str(samples), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out.read_bytes()


def start_server(data_dir: Path, port: int) -> subprocess.Popen:
    sabi = Path(sys.executable).with_name("sabi")
    env = {**os.environ, "SABI_RATE_LIMIT": "0", "SABI_ANONYMOUS_QUOTA": "1000000"}
    proc = subprocess.Popen(
        [str(sabi), "serve", "--data-dir", str(data_dir), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/status", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            sys.exit("sabi serve exited; is the data directory indexed? (make demo)")
        time.sleep(0.1)
    proc.kill()
    sys.exit("sabi serve did not start")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="a running server (default: start one on --data-dir)")
    ap.add_argument("--data-dir", type=Path, default=ROOT / "sabi-data")
    ap.add_argument("--samples", type=Path, default=ROOT / "samples")
    ap.add_argument("--image", type=Path, help="query image (default: the demo query)")
    ap.add_argument("-n", type=int, default=100, help="sequential searches (default 100)")
    args = ap.parse_args()

    query = args.image.read_bytes() if args.image else demo_query(args.samples)
    proc = None
    url = args.url
    if url is None:
        proc = start_server(args.data_dir, free_port())
        url = f"http://127.0.0.1:{proc.args[-1]}"
    try:
        with httpx.Client(timeout=60) as client:
            status = client.get(f"{url}/status").json()
            first = client.post(f"{url}/search", files={"image": ("q.jpg", query)}).json()
            times = []
            for _ in range(args.n):
                t0 = time.perf_counter()
                r = client.post(f"{url}/search", files={"image": ("q.jpg", query)})
                times.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
            best = first["result"][0] if first["result"] else None
            clip = cached = None
            if best:
                t0 = time.perf_counter()
                client.get(best["video"]).raise_for_status()
                clip = (time.perf_counter() - t0) * 1000
                t0 = time.perf_counter()
                client.get(best["video"]).raise_for_status()
                cached = (time.perf_counter() - t0) * 1000
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    print(
        f"index: {status['episodes']} episodes, {status['frames']} frames, "
        f"descriptor {status['descriptor']}; {os.cpu_count()} CPUs"
    )
    if best:
        print(
            f"best match: {best['show']['title']} ep {best['episode']} at {best['at']:.1f} s, "
            f"similarity {best['similarity']:.3f}"
        )
    print(
        f"POST /search x{args.n} (sequential, keep-alive): p50 {pct(times, 50):.1f} ms, "
        f"p90 {pct(times, 90):.1f} ms, p99 {pct(times, 99):.1f} ms, "
        f"mean {statistics.fmean(times):.1f} ms, max {max(times):.1f} ms"
    )
    if clip is not None:
        print(f"GET /video (first, encoded): {clip:.0f} ms; again (disk cache): {cached:.0f} ms")


if __name__ == "__main__":
    main()
