"""kill -9 a writer while it trains, retrains and publishes the PQ; the store opens and answers."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from library_data import show_episodes

from sabi.store.faiss_store import FaissParams, FaissStore
from sabi.store.segments import list_segments

DIM = 128
PARAMS = dict(exact_below=1_500, rerank=300, pq_bytes=16)
WRITER = f"""
import sys
import numpy as np
sys.path.insert(0, {str(Path(__file__).parent)!r})
from library_data import show_episodes
from sabi.store.faiss_store import FaissParams, FaissStore
store = FaissStore(__import__("pathlib").Path(sys.argv[1]), {DIM}, FaissParams(**{PARAMS!r}))
for ep, v in enumerate(show_episodes(0, 40, 300, {DIM}), start=1):
    starts = np.arange(len(v), dtype=np.float32)
    store.add(ep, v, starts, starts + 1)
    store.flush()
print("done", flush=True)
"""


def _episodes() -> dict[int, np.ndarray]:
    return dict(enumerate(show_episodes(0, 40, 300, DIM), start=1))


def test_kill_during_rebuilds_leaves_a_store_that_opens_and_answers(tmp_path):
    root = tmp_path / "faiss"
    eps = _episodes()
    rng = np.random.default_rng(8)
    for delay in (0.1, 0.5, 1.0, 1.6, 2.3):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not (root / "segments").is_dir() and time.monotonic() < deadline:
            time.sleep(0.01)  # the writer has started writing (imports take a while on CI)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        store = FaissStore(root, DIM, FaissParams(**PARAMS))
        present = list_segments(root / "segments")
        assert store.count() == 300 * len(present)
        assert sorted(present.values()) == sorted(set(present.values()))  # one each
        for ep in rng.choice(sorted(present.values()), min(5, len(present)), replace=False):
            frame = int(rng.integers(300))
            hits = store.search(eps[int(ep)][frame], k=3)[0]
            # neighbouring frames of these slow shots are within int8 rounding of each other
            assert (int(ep), frame) in {(h.episode_id, h.start) for h in hits}
            assert hits[0].episode_id == int(ep) and abs(hits[0].start - frame) <= 1
        store.close()
    finish = subprocess.run([sys.executable, "-c", WRITER, str(root)], capture_output=True)
    assert finish.returncode == 0, finish.stderr.decode()
    store = FaissStore(root, DIM, FaissParams(**PARAMS))
    assert store.count() == 40 * 300
    assert store._mem.pq is not None and store._manifest.trained_rows >= 6_000
    assert not [p for p in root.rglob("*.tmp")]
    assert len(list(root.glob("pq-*.faiss"))) == 1
