"""The writing side every benchmark shares: number formats, Markdown tables, the results header.

Reports are written from the JSON a benchmark saved (never from live objects), so
``python -m bench report NAME`` can write them again from a results folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import save_json

Renderer = Callable[[dict[str, Any]], str]


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


def _fmt_load(v: Sequence[float] | None) -> str:
    return " / ".join(f"{x:.2f}" for x in v) if v else "?"


def header(title: str, run: dict[str, Any], notes: str = "") -> str:
    """The title and the run's facts (``RunInfo.facts()``: machine, commit, date, load)."""
    try:
        date = datetime.fromisoformat(run["date"]).strftime("%Y-%m-%d %H:%M UTC")
    except (KeyError, ValueError):
        date = "?"
    took = f"; took {run['minutes']:.1f} min" if "minutes" in run else ""
    commit = str(run.get("commit") or "unknown")[:10]
    start = str(run.get("commit_start") or "")[:10]
    machine = (
        f"{run.get('cores', '?')} cores, {run.get('cpu', '?')}, {run.get('ram_gib', 0):.1f} GiB RAM"
    )
    if "system" in run:
        machine += f", {run['system']}, Python {run.get('python', '?')}"
    lines = [
        f"# {title}",
        "",
        f"- date: {date}{took}",
        f"- commit: {commit}{' (working tree has uncommitted changes)' if run.get('dirty') else ''}"
        + (f"; the run started at {start}" if start and start != commit else ""),
        f"- machine: {machine}",
    ]
    if run.get("libraries"):
        lines.append(f"- libraries: {run['libraries']}")
    lines += [
        f"- load average (1/5/15 min) at start: {_fmt_load(run.get('load_start'))}; at end: "
        f"{_fmt_load(run.get('load_end'))}. Timings are noisy when it is above ~0.5: other work "
        "shared the cores; compare figures from the same run.",
        f"- command: `{run.get('command', '?')}`",
    ]
    if notes:
        lines += ["", notes.strip()]
    return "\n".join(lines) + "\n"


def publish(results: Path, name: str, data: dict[str, Any], render: Renderer) -> Path:
    """``name``.json (the measurements), then ``name``.md written from that JSON alone."""
    save_json(results / f"{name}.json", data)
    return rewrite(results, name, render)


def rewrite(results: Path, name: str, render: Renderer) -> Path:
    """``name``.md again from ``name``.json (a report changed, the measurements did not)."""
    data = json.loads((results / f"{name}.json").read_text())
    md = results / f"{name}.md"
    md.write_text(render(data))
    return md
