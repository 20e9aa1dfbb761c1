"""Peak memory of the worst hostile queries stays bounded (measured in a fresh process, where
the high-water mark is not hidden by what earlier tests used)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
LIMIT_MB = 300

SCRIPT = """
import json, resource, sys
from PIL import Image
from corpus import encode, gif_bomb, png_claiming
from sabi.errors import BadInput
from sabi.prepare.query import QueryLimits, load_query

limits = QueryLimits(shrink_to=640)
cases = [
    gif_bomb(),  # 5000x5000 canvas, 3000 frames
    gif_bomb(1000, 1000, 20_000),  # many frames over the pixel budget
    gif_bomb(3840, 2160, 12),  # the largest canvas an animation may have, decoded
    png_claiming(100_000, 100_000),
    png_claiming(6000, 6000),  # within the size cap, a body that cannot fill it
    encode(Image.new("P", (6300, 6300), 3), "PNG"),  # 40 Mpx (the cap), 40 KB: a real decode
]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
outcomes = []
for data in cases:
    try:
        outcomes.append(len(load_query(data, limits)))
    except BadInput as exc:
        outcomes.append(type(exc).__name__)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
json.dump({"grew_mb": (after - before) / 1024, "outcomes": outcomes}, sys.stdout)
"""


@pytest.mark.timeout(60)
def test_worst_cases_stay_under_the_memory_bound():
    env_path = [str(HERE), *sys.path]
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": ":".join(p for p in env_path if p)},
        check=True,
    )
    report = json.loads(run.stdout)
    assert report["outcomes"][:2] == ["OverBudget", "OverBudget"]
    assert report["outcomes"][2] == 8  # decoded: frames spread over the animation
    assert report["outcomes"][-1] == 1  # the still is searched
    assert report["grew_mb"] < LIMIT_MB, report
