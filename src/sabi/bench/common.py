"""What every benchmark shares: where things go, the machine they ran on, Markdown tables."""

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np


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
    """../shared/media beside the checkout (as the tests find it)."""
    env = os.environ.get("SABI_BENCH_MEDIA")
    if env:
        return Path(env)
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
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
            ["git", *args], capture_output=True, text=True, check=True, timeout=10
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
    """Header facts for a results file: machine, commit, date, load before and after."""

    started: float = field(default_factory=time.time)
    load_start: tuple[float, float, float] = field(default_factory=load)
    command: str = field(default_factory=lambda: " ".join(["sabi", *sys.argv[1:]]))
    commit_start: str = field(default_factory=lambda: _git("rev-parse", "--short=10", "HEAD"))

    def header(self, title: str, notes: str = "") -> str:
        commit = _git("rev-parse", "--short=10", "HEAD") or "unknown"
        dirty = _git("status", "--porcelain", "--untracked-files=no")
        end = load()
        minutes = (time.time() - self.started) / 60
        lines = [
            f"# {title}",
            "",
            f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; took {minutes:.1f} min",
            f"- commit: {commit}{' (working tree has uncommitted changes)' if dirty else ''}"
            + (f"; the run started at {self.commit_start}" if self.commit_start != commit else ""),
            f"- machine: {os.cpu_count()} cores, {_cpu_model()}, {_ram_gib():.1f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
            f"- libraries: {_versions()}",
            f"- load average (1/5/15 min) at start: {_fmt_load(self.load_start)}; at end: "
            f"{_fmt_load(end)}. Timings are noisy when it is above ~0.5: other work shared "
            "the cores; compare figures from the same run.",
            f"- command: `{self.command}`",
        ]
        if notes:
            lines += ["", notes.strip()]
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": _git("rev-parse", "HEAD"),
            "cores": os.cpu_count(),
            "cpu": _cpu_model(),
            "ram_gib": round(_ram_gib(), 1),
            "load_start": self.load_start,
            "load_end": load(),
            "command": self.command,
        }


def _fmt_load(v: Sequence[float]) -> str:
    return " / ".join(f"{x:.2f}" for x in v)


# ----- tables and numbers


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], align: str | None = None) -> str:
    """A GitHub Markdown table; ``align``: one of l/r per column (default: first l, rest r)."""
    headers = list(headers)
    align = align or "l" + "r" * (len(headers) - 1)
    sep = ["---" if a == "l" else "---:" for a in align]
    out = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
    for row in rows:
        out.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(out) + "\n"


def pct(x: float | None, digits: int = 0) -> str:
    return "–" if x is None or np.isnan(x) else f"{100 * x:.{digits}f} %"


def num(x: float | None, digits: int = 1) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:,.{digits}f}"


def percentiles(values: Sequence[float], qs: Sequence[float] = (50, 95, 99)) -> list[float]:
    if len(values) == 0:
        return [float("nan")] * len(qs)
    return [float(v) for v in np.percentile(np.asarray(values, np.float64), qs)]


def write(paths: BenchPaths, name: str, markdown: str, data: dict[str, Any] | None = None) -> Path:
    md = paths.results / f"{name}.md"
    md.write_text(markdown)
    if data is not None:
        (paths.results / f"{name}.json").write_text(json.dumps(data, indent=1, default=_json))
    return md


def _json(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(type(o))


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


def run_child(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Run a command; (wall seconds, peak RSS MiB of the process itself, exit status).

    The peak is the kernel's high-water mark of that process (VmHWM), read while it runs:
    ``wait4``'s ru_maxrss would carry the harness's own peak into the child (a forked child
    starts from its parent's figure; `/bin/true` reported 428 MiB that way)."""
    with tempfile.TemporaryFile() as errors:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=errors)
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
