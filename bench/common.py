"""What every benchmark's measuring side shares: where things go, the facts of a run, child
processes and their memory. Turning measurements into Markdown is ``bench.markdown``'s job."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sabi.settings import Settings

ROOT = Path(__file__).resolve().parents[1]  # the checkout the benchmarks run from


@dataclass
class BenchPaths:
    """``work``: cached inputs (git-ignored). ``results``: Markdown, JSON and PNG outputs."""

    work: Path
    results: Path
    media: Path
    quick: bool = False

    def __post_init__(self) -> None:
        self.media = self.media.resolve()
        if self.quick:
            self.results = self.results / "quick"
        self.work.mkdir(parents=True, exist_ok=True)
        self.results.mkdir(parents=True, exist_ok=True)


def default_media() -> Path:
    """The test clips: $SABI_BENCH_MEDIA, else what scripts/fetch_samples.py's ``fetch_clips``
    gives (../shared/media, or the clips downloaded once into a cache), else ../shared/media."""
    env = os.environ.get("SABI_BENCH_MEDIA")
    if env:
        return Path(env)
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from fetch_samples import fetch_clips  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        pass
    else:
        return Path(fetch_clips())
    for base in (Path.cwd(), ROOT):
        candidate = base.parent / "shared" / "media"
        if candidate.is_dir():
            return candidate
    return Path.cwd().parent / "shared" / "media"


# ----- the machine and the run


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return 0.0


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=True, timeout=10, cwd=ROOT
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _versions() -> str:
    out = []
    for mod in ("numpy", "faiss", "onnxruntime", "av", "PIL"):
        try:
            m = __import__(mod)
            out.append(f"{mod} {getattr(m, '__version__', '?')}")
        except ImportError:
            pass
    return ", ".join(out)


def load() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)


@dataclass
class RunInfo:
    """The facts a results file is headed by: machine, commit, date, load before and after.

    Started with the benchmark; ``facts()`` at its end gives the JSON the report is written from."""

    started: float = field(default_factory=time.time)
    load_start: tuple[float, float, float] = field(default_factory=load)
    command: str = field(default_factory=lambda: " ".join(["python -m bench", *sys.argv[1:]]))
    commit_start: str = field(default_factory=lambda: _git("rev-parse", "HEAD"))

    def facts(self) -> dict[str, Any]:
        return {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "minutes": round((time.time() - self.started) / 60, 2),
            "commit": _git("rev-parse", "HEAD"),
            "commit_start": self.commit_start,
            "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
            "cores": os.cpu_count(),
            "cpu": _cpu_model(),
            "ram_gib": round(_ram_gib(), 1),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "libraries": _versions(),
            "load_start": self.load_start,
            "load_end": load(),
            "command": self.command,
        }


def save_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, indent=1, default=_json))
    return path


def _json(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(type(o))


def percentiles(values: Sequence[float], qs: Sequence[float] = (50, 95, 99)) -> list[float]:
    if len(values) == 0:
        return [float("nan")] * len(qs)
    return [float(v) for v in np.percentile(np.asarray(values, np.float64), qs)]


# ----- memory


def rss_mib(pid: int | str = "self", key: str = "VmRSS") -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MiB (0 where /proc is missing)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) / 1024 if m else 0.0


def children_rss_mib(pid: int | None = None) -> float:
    """Current RSS of a process's descendants (e.g. the Milvus Lite server it started)."""
    pid = pid or os.getpid()
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        for child, parent in parents.items():
            if parent == p:
                total += rss_mib(child)
                todo.append(child)
    return total


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment with the checkout first on PYTHONPATH, so ``python -m bench.x`` children
    find the benchmark package from any working directory."""
    env = {**os.environ, **(extra or {})}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def run_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Run a command; (wall seconds, peak RSS MiB of the process itself, exit status).

    The peak is the kernel's high-water mark of that process (VmHWM), read while it runs:
    ``wait4``'s ru_maxrss would carry the harness's own peak into the child (a forked child
    starts from its parent's figure; `/bin/true` reported 428 MiB that way)."""
    with tempfile.TemporaryFile() as errors:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            args, env=env or child_env(), stdout=subprocess.DEVNULL, stderr=errors
        )
        peak = 0.0
        while True:
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, rss_mib(proc.pid, key="VmHWM"))
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code:
            errors.seek(0)
            sys.stderr.write(errors.read().decode(errors="replace")[-4000:])
    return wall, peak, code


def dir_bytes(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(root, name))
    return total


def say(*parts: Any) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def defaults_line() -> str:
    """The shipped settings a benchmark run used, in words (read from the settings, so a changed
    default cannot leave a stale label behind)."""
    d = Settings()
    return (
        f"rate {d.rate:g} fps, dedupe {d.dedupe_distance} bits / {d.dedupe_max_span:g} s, "
        f"embed {d.embed_size}"
    )
