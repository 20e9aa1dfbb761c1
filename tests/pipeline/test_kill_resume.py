"""Chaos: ``sabi index`` is killed (-9) at seeded random moments and restarted while a
``sabi serve`` process answers searches on the same data directory. Every search gets a 200
(a match or a clean "no match"), and the end state equals a clean run's: the same episodes,
all indexed, the same frames each, as many vectors as the catalogue counts, no duplicate or
orphan vectors. ``python -m bench.stress.kill_resume`` runs the same with 20 kills."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest
from media import frame_at, make_video, screenshot

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: bench.stress

from bench.stress.chaos import differences, end_state, kill_rounds, run_index  # noqa: E402
from bench.stress.server import SearchLoop, ServeProcess  # noqa: E402

KILLS = 4
SEED = 11


@pytest.fixture(scope="module")
def videos(tmp_path_factory, shared_media: Path) -> Path:
    """Four short synthetic episodes and a one-second real clip."""
    folder = tmp_path_factory.mktemp("Chaos Show")
    sources = ["mandelbrot", "testsrc2", "life=size=640x360:rate=24:seed=3", "cellauto"]
    for i, source in enumerate(sources, 1):
        make_video(folder / f"Chaos Show - {i:02d}.mp4", source, seconds=5, size=(640, 360))
    shutil.copy(shared_media / "big_buck_bunny_432_433.webm", folder / "Chaos Show - 05.webm")
    return folder


def test_kill_nine_while_serving_ends_as_a_clean_run(tmp_path, videos):
    clean_dir, data = tmp_path / "clean", tmp_path / "data"
    clean_seconds = run_index(videos, clean_dir)
    clean = end_state(clean_dir)
    t, rgb = frame_at(videos / "Chaos Show - 01.mp4", 2.5)

    with ServeProcess(data, tmp_path / "serve.log") as server:
        searches = SearchLoop(server.url, screenshot(rgb))
        searches.start()
        try:
            rounds = kill_rounds(videos, data, kills=KILLS, seed=SEED, clean_seconds=clean_seconds)
            run_index(videos, data)
            deadline = time.monotonic() + 60  # the server picks up the last segment
            while time.monotonic() < deadline and (
                not searches.frame_counts or searches.frame_counts[-1] != clean["store_count"]
            ):
                time.sleep(0.1)
        finally:
            searches.stop()

    assert sum(r.killed for r in rounds) == KILLS, rounds
    assert differences(clean, end_state(data)) == []
    assert searches.errors == []
    assert searches.answers >= 10 and searches.matched >= 1
    assert searches.frame_counts[-1] == clean["store_count"]
