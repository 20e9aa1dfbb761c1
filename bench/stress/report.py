"""``python -m bench.stress.report``: the stress Markdown again from the saved JSON."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.common import ROOT
from bench.markdown import rewrite
from bench.stress import kill_report, load_report

RENDERERS = {"stress-kill": kill_report.render, "stress-load": load_report.render}


def main(results: Path = ROOT / "bench" / "results") -> None:
    for name, render in RENDERERS.items():
        if (results / f"{name}.json").is_file():
            print(f"wrote {rewrite(results, name, render)}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "results")
