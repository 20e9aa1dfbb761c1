"""Markdown for the load run (``load`` measures; this only writes)."""

from __future__ import annotations

from typing import Any

from bench.markdown import header, num, table

P99_GOAL_MS = 150.0
BUSY_GOAL_MS = 50.0


def _rate(x: float | None) -> str:
    return "none of the steps" if x is None else f"{x:g} searches/s"


def _steps(steps: list[dict[str, Any]]) -> str:
    rows = []
    for i, s in enumerate(steps):
        label = f"{s['offered_per_s']:g}" + (" (recovery)" if i == len(steps) - 1 else "")
        other = ", ".join(f"{k}: {v}" for k, v in sorted(s["other"].items())) or "–"
        rows.append(
            [
                label,
                s["sent"],
                num(s["ok_per_s"]),
                num(s["ok_p50_ms"], 0),
                num(s["ok_p99_ms"], 0),
                s["busy"],
                num(s["busy_p50_ms"], 0),
                num(s["busy_p99_ms"], 0),
                other,
                num(s["all_answered_seconds"]),
                num(s["client_lag_p99_ms"], 0),
                num(s["rss_mib_max"], 0),
            ]
        )
    heads = [
        "offered /s",
        "sent",
        "200s /s",
        "200 p50 ms",
        "200 p99 ms",
        "503s",
        "503 p50 ms",
        "503 p99 ms",
        "other",
        "last answer (s)",
        "client lag p99 ms",
        "server RSS MiB",
    ]
    return table(heads, rows)


def _worst_busy(steps: list[dict[str, Any]]) -> float | None:
    values = [s["busy_p99_ms"] for s in steps if s["busy"]]
    return max(values) if values else None


def _recovered(steps: list[dict[str, Any]]) -> str:
    """Recovered: every search of the low-rate step after the overload answered 200."""
    last, first = steps[-1], steps[0]
    ok = last["ok"] == last["sent"]
    return (
        f"{'yes' if ok else 'no'}: {last['ok']}/{last['sent']} answered 200, "
        f"p99 {num(last['ok_p99_ms'], 0)} ms (first step {num(first['ok_p99_ms'], 0)} ms)"
    )


def render(data: dict[str, Any]) -> str:
    notes = (
        f"A `sabi serve` process (shipped settings, except no per-IP rate limit or quota: the "
        f"client is one address) on an index of the real clips; an httpx async client in "
        f"another process sends {data['queries']['count']} different 1280x720 JPEG screenshots "
        f"(median {data['queries']['median_bytes'] / 1000:.0f} kB) open-loop: each step offers "
        f"a fixed rate for {data['seconds']:g} s, evenly spaced, whether or not earlier "
        f"searches were answered; the last step drops back to {data['recover_rate']:g}/s. "
        "Latency counts from the scheduled send time. Client and server share the machine's "
        "cores, and the second table has `sabi index` + `sabi remove` of 4 synthetic episodes "
        "running in a loop on the same data directory."
    )
    out = [header("Searches under load on loopback", data["run"], notes)]
    alone, busy = data["alone"], data["indexing"]
    wb_a, wb_i = _worst_busy(alone), _worst_busy(busy)
    out.append(
        table(
            ["", "searches alone", "with sabi index beside them"],
            [
                [
                    f"sustained rate (p99 ≤ {P99_GOAL_MS:.0f} ms, ≥ 99 % answered)",
                    _rate(data["sustained_alone"]),
                    _rate(data["sustained_indexing"]),
                ],
                [
                    f"worst 503 p99 (goal ≤ {BUSY_GOAL_MS:.0f} ms)",
                    "no 503s" if wb_a is None else f"{wb_a:,.0f} ms",
                    "no 503s" if wb_i is None else f"{wb_i:,.0f} ms",
                ],
                ["recovered at the low rate after", _recovered(alone), _recovered(busy)],
                [
                    "server RSS, max",
                    f"{max(s['rss_mib_max'] for s in alone):,.0f} MiB",
                    f"{max(s['rss_mib_max'] for s in busy):,.0f} MiB",
                ],
            ],
            "lll",
        )
    )
    out.append("\n## Searches alone\n")
    out.append(_steps(alone))
    out.append("\n## With `sabi index` beside them\n")
    churn = data["churn"]
    out.append(
        f"{churn['cycles']} index + remove cycles ran during these steps"
        + (f"; failures: {churn['failures']}" if churn["failures"] else "")
        + ".\n\n"
    )
    out.append(_steps(busy))
    out.append(
        "\n`other`: statuses other than 200/503, or the client's error when no answer came "
        "(ReadTimeout after 60 s, connection errors). `last answer`: seconds from the step's "
        "start until its last search was answered. `client lag`: how late the client sent a "
        "request against its schedule (it shares the cores; the lag is counted in every "
        "latency).\n\nRe-run: `python -m bench.stress.load` "
        "(`--rates 5,10,20 --seconds 15 --recover 5`); `python -m bench.stress.report` writes "
        "the Markdown again from the JSON.\n"
    )
    return "\n".join(out)
