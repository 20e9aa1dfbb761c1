"""One preview folder written by several processes at once (two caches here, each with its own
locks, as two replicas have): readers get whole previews, never a part, and nothing is left
behind half-written."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sabi.serve.previews import PreviewCache, Rendered

BODY = 1_000_000  # large enough that a write is not one system call's worth of luck


def test_two_caches_on_one_folder_never_serve_a_partial_preview(tmp_path):
    caches = [PreviewCache(tmp_path, 64 * BODY) for _ in range(2)]
    start = threading.Barrier(16)
    bodies = {bytes([n]) * BODY for n in range(2)}

    def ask(i: int) -> bool:
        """Ten previews through one cache while the others write; all of them whole?"""
        cache = caches[i % 2]
        start.wait()
        whole = True
        for _ in range(10):
            made = Rendered(bytes([i % 2]) * BODY, "image/jpeg", 1.5)
            out = cache.get_or_make("same-key", "image/jpeg", lambda m=made: m)
            whole &= out.body in bodies and out.offset == 1.5
            (tmp_path / "same-key").unlink(missing_ok=True)  # as another replica's trim may
        return whole

    with ThreadPoolExecutor(16) as ex:
        assert all(ex.map(ask, range(16)))
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_trimming_leaves_files_being_written_alone(tmp_path):
    cache = PreviewCache(tmp_path, 3 * BODY)
    for n in range(5):
        (tmp_path / f"old-{n}").write_bytes(b"x" * BODY)
    writing = tmp_path / ".new-key.0123abcd.tmp"  # another replica, mid-write
    writing.write_bytes(b"y" * BODY)
    cache._trim()
    assert writing.exists()
    kept = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert sum(p.stat().st_size for p in kept) <= 3 * BODY * 0.8
