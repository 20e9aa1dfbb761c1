"""``python -m bench.stress.kill_resume``: ``kill -9`` the indexer 20 times at seeded random
moments while ``sabi serve`` answers searches on the same data directory; then compare with a
clean run. Writes bench/results/stress-kill.json and .md (``kill_report`` writes the Markdown).

The chaos test (tests/pipeline/test_kill_resume.py) runs the same machinery with 4 kills."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from bench.common import say
from bench.markdown import publish
from bench.stress.chaos import differences, end_state, kill_rounds, rounds_json, run_index
from bench.stress.cli_args import parser, start
from bench.stress.kill_report import render
from bench.stress.media import copy_clips, screenshot_queries, synthetic_episodes
from bench.stress.server import SearchLoop, ServeProcess


def measure(work: Path, media: Path, *, kills: int, seed: int, seconds: float) -> dict[str, Any]:
    """The clean run, the kill rounds under searches, the final run, both end states."""
    folder = work / "Stress Show"
    videos = synthetic_episodes(folder, seconds) + copy_clips(media, folder, 7)
    clean_dir, data = work / "clean", work / "data"
    for d in (clean_dir, data):
        shutil.rmtree(d, ignore_errors=True)
    say(f"clean run of {len(videos)} episodes")
    clean_seconds = run_index(folder, clean_dir)
    clean = end_state(clean_dir)
    query = screenshot_queries(videos[:1], 1, seed)[0]
    with ServeProcess(data, work / "serve.log") as server:
        searches = SearchLoop(server.url, query)
        searches.start()
        try:
            say(f"{kills} kills, seed {seed}, delays up to {clean_seconds:.1f} s")
            rounds = kill_rounds(folder, data, kills=kills, seed=seed, clean_seconds=clean_seconds)
            final_seconds = run_index(folder, data)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (
                not searches.frame_counts or searches.frame_counts[-1] != clean["store_count"]
            ):
                time.sleep(0.1)
        finally:
            searches.stop()
    got = end_state(data)
    return {
        "kills": kills,
        "seed": seed,
        "videos": [v.name for v in videos],
        "clean_seconds": round(clean_seconds, 2),
        "final_seconds": round(final_seconds, 2),
        "rounds": rounds_json(rounds),
        "clean": clean,
        "end": got,
        "differences": differences(clean, got),
        "searches": {
            "answers": searches.answers,
            "statuses": {str(k): v for k, v in searches.statuses.items()},
            "matched": searches.matched,
            "errors": searches.errors[:50],
            "error_count": len(searches.errors),
            "last_frame_count": searches.frame_counts[-1] if searches.frame_counts else None,
        },
    }


def main(argv: list[str] | None = None) -> None:
    p = parser("python -m bench.stress.kill_resume", __doc__, "stress-kill")
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seed", type=int, default=20)
    p.add_argument("--seconds", type=float, default=8.0, help="Length of each synthetic episode.")
    a = p.parse_args(argv)
    info, media = start("python -m bench.stress.kill_resume", a)
    data = measure(a.work, media, kills=a.kills, seed=a.seed, seconds=a.seconds)
    out = publish(a.results, "stress-kill", {"run": info.facts(), **data}, render)
    say(f"wrote {out}")


if __name__ == "__main__":
    main()
