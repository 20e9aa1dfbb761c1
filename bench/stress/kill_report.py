"""Markdown for the kill -9 run (``kill_resume`` measures; this only writes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.markdown import header, table


def _statuses(s: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(s.items())) or "no catalogue yet"


def render(data: dict[str, Any]) -> str:
    rounds = data["rounds"]
    killed = sum(r["killed"] for r in rounds)
    s = data["searches"]
    verdict = (
        "**Holds**: the end state equals the clean run's."
        if not data["differences"]
        else "**Differs** from the clean run:\n\n"
        + "\n".join(f"- {d}" for d in data["differences"])
    )
    end, clean = data["end"], data["clean"]
    notes = (
        f"`sabi index` on {len(data['videos'])} episodes (FFmpeg generators + the real clips) "
        f"killed with SIGKILL {killed} times after delays drawn (seed {data['seed']}) uniformly "
        f"from 0.05-1 x the clean run's wall time ({data['clean_seconds']} s, start-up "
        "included), restarted each time; a run that finished before its delay was followed by "
        "removing a random half of the episodes so the next one had work to be killed in. A "
        "`sabi serve` process answered searches (one at a time, a 1280x720 JPEG screenshot) "
        "on the same data directory throughout."
    )
    out = [header("kill -9 while indexing and serving", data["run"], notes), verdict, ""]
    out.append("## End state\n")
    out.append(
        table(
            ["", "clean run", "after the kills"],
            [
                ["episodes (all indexed)", len(clean["episodes"]), len(end["episodes"])],
                ["frames in the catalogue", clean["catalog_frames"], end["catalog_frames"]],
                ["vectors in the store", clean["store_count"], end["store_count"]],
                ["orphan vectors (episodes)", len(clean["orphan_ids"]), len(end["orphan_ids"])],
                ["indexed without vectors", len(clean["missing_ids"]), len(end["missing_ids"])],
                [
                    "leftover temporary files",
                    len(clean["temporary_files"]),
                    len(end["temporary_files"]),
                ],
            ],
        )
    )
    rows = [
        [
            Path(p).name,
            e["status"],
            e["frames"],
            e["vectors"],
            e["segments"],
            clean["episodes"].get(p, {}).get("frames", "–"),
        ]
        for p, e in end["episodes"].items()
    ]
    out.append(
        "\n" + table(["episode", "status", "frames", "vectors", "segments", "clean frames"], rows)
    )
    out.append("\n## Searches while it ran\n")
    out.append(
        f"{s['answers']} searches answered: "
        + ", ".join(f"HTTP {k}: {v}" for k, v in sorted(s["statuses"].items()))
        + f'; {s["matched"]} with a match, the rest a clean "no match"; '
        f"{s['error_count']} errors. The last answer counted {s['last_frame_count']} frames.\n"
    )
    if s["errors"]:
        out.append("\n".join(f"- `{e}`" for e in s["errors"][:20]) + "\n")
    out.append("\n## Rounds\n")
    midway = sum(bool(r["unfinished"]) for r in rounds if r["killed"])
    out.append(
        f"{len(rounds)} runs: {killed} killed ({midway} with episodes left mid-way, the others "
        "in start-up or after the last episode was done), "
        f"{len(rounds) - killed} finished before their delay.\n"
    )
    out.append(
        table(
            [
                "#",
                "delay (s)",
                "outcome",
                "episodes right after",
                "segments",
                "left mid-way",
                "removed next",
            ],
            [
                [
                    i,
                    f"{r['delay_s']:.2f}",
                    "killed" if r["killed"] else f"finished ({r['returncode']})",
                    _statuses(r["statuses"]),
                    r["segments"],
                    ", ".join(n.removeprefix("Stress Show - ") for n in r["unfinished"]),
                    r["removed"] or "",
                ]
                for i, r in enumerate(rounds, 1)
            ],
        )
    )
    out.append(f"\nFinal uninterrupted run: {data['final_seconds']} s.\n")
    out.append(
        "\nRe-run: `python -m bench.stress.kill_resume` (`--kills N --seed S`); the chaos test "
        "`pytest tests/pipeline/test_kill_resume.py` does the same with 4 kills.\n"
    )
    return "\n".join(out)
