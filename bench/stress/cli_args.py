"""The command line both stress runs share: where to work, where results go, which clips."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.common import ROOT, RunInfo, default_media


def parser(prog: str, description: str | None, work: str) -> argparse.ArgumentParser:
    """A parser with --work (bench/work/<work>), --results and --media already added."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / work)
    p.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    p.add_argument("--media", type=Path, default=None)
    return p


def start(prog: str, args: argparse.Namespace) -> tuple[RunInfo, Path]:
    """The run's facts and the clip folder, with the work and results folders made."""
    args.work.mkdir(parents=True, exist_ok=True)
    args.results.mkdir(parents=True, exist_ok=True)
    info = RunInfo(command=" ".join([prog, *sys.argv[1:]]))
    return info, args.media or default_media()
