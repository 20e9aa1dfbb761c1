"""Re-indexing: unchanged files are a no-op, changed files replace their frames, remove works."""

from __future__ import annotations

import os
import shutil

import pytest
from media import frame_at, make_video, screenshot

from sabi.app import Sabi
from sabi.errors import DescriptorMismatch


@pytest.fixture
def folder(tmp_path, shared_media):
    src = tmp_path / "Bunny"
    src.mkdir()
    shutil.copy(shared_media / "big_buck_bunny_clip.mp4", src / "Bunny - 02.mp4")
    shutil.copy(shared_media / "big_buck_bunny_432_433.webm", src / "Bunny - 03.webm")
    return src


def _frames_consistent(sabi: Sabi) -> None:
    """Stored vectors == frames the catalogue says are indexed: no duplicates, no orphans."""
    assert sabi.store.count() == sabi.catalog.stats().frames
    assert sabi.store.episode_ids() == sabi.catalog.indexed_ids()


def test_folder_index_is_idempotent(tmp_path, folder):
    with Sabi.open(data_dir=tmp_path / "data") as sabi:
        first = sabi.index([folder])
        assert first.count("indexed") == 2
        count = sabi.store.count()
        again = sabi.index([folder])
        assert again.count("unchanged") == 2 and again.count("indexed") == 0
        assert sabi.store.count() == count
        _frames_consistent(sabi)
        shows = sabi.catalog.shows()
        assert [(t, n) for _, t, _, n in shows] == [("Bunny", 2)]
        numbers = sorted(v.number for v in sabi.catalog.views(sabi.catalog.indexed_ids()).values())
        assert numbers == [2.0, 3.0]


def test_touched_but_identical_file_is_not_reindexed(tmp_path, folder):
    with Sabi.open(data_dir=tmp_path / "data") as sabi:
        sabi.index([folder])
        f = folder / "Bunny - 02.mp4"
        os.utime(f, (1_000_000, 1_000_000))
        assert sabi.index([folder]).count("unchanged") == 2


def test_changed_file_replaces_its_frames(tmp_path, folder, shared_media):
    with Sabi.open(data_dir=tmp_path / "data") as sabi:
        sabi.index([folder])
        target = folder / "Bunny - 02.mp4"
        make_video(target, "mandelbrot", seconds=8, size=(320, 180))
        report = sabi.index([folder])
        assert report.count("indexed") == 1 and report.count("unchanged") == 1
        _frames_consistent(sabi)
        t, rgb = frame_at(target, 4.0)
        best = sabi.search(screenshot(rgb)).result[0]
        assert best.filename == "Bunny - 02.mp4" and best.similarity > 0.8
        # The old content is gone: a frame of the replaced clip no longer finds this file well.
        _, old = frame_at(shared_media / "big_buck_bunny_clip.mp4", 2.0)
        old_hits = [
            r for r in sabi.search(screenshot(old)).result if r.filename == "Bunny - 02.mp4"
        ]
        assert all(r.similarity < 0.6 for r in old_hits)


def test_remove_by_show_and_episode(tmp_path, folder, shared_media):
    with Sabi.open(data_dir=tmp_path / "data") as sabi:
        sabi.index([folder])
        sabi.index([shared_media / "bikes.mp4"], show="Bikes")
        ep = sabi.catalog.select_episodes(show="Bunny")[0]
        assert sabi.remove(episode_id=ep) == 1
        _frames_consistent(sabi)
        assert sabi.remove(show="Bunny") == 1
        _frames_consistent(sabi)
        assert [t for _, t, _, _ in sabi.catalog.shows()] == ["Bikes"]
        _, rgb = frame_at(folder / "Bunny - 02.mp4", 2.0)
        assert all(r.show.title == "Bikes" for r in sabi.search(screenshot(rgb)).result)


def test_corrupt_files_are_skipped_and_the_run_goes_on(tmp_path, folder):
    (folder / "Bunny - 04.mkv").write_bytes(b"\x1aE\xdf\xa3" + os.urandom(5000))
    (folder / "Bunny - 05.mp4").write_text("not a video")
    with Sabi.open(data_dir=tmp_path / "data") as sabi:
        report = sabi.index([folder])
        assert report.count("indexed") == 2 and report.count("failed") == 2
        assert not report.ok
        failed = {r.path.name: r.error for r in report.results if r.status == "failed"}
        assert set(failed) == {"Bunny - 04.mkv", "Bunny - 05.mp4"}
        assert all(failed.values())
        assert sabi.stats().failed == 2
        _frames_consistent(sabi)


def test_other_descriptor_is_refused(tmp_path, folder):
    with Sabi.open(data_dir=tmp_path / "data", descriptor="colorlayout") as sabi:
        sabi.index([folder])
        _, rgb = frame_at(folder / "Bunny - 02.mp4", 2.0)
        assert sabi.search(screenshot(rgb)).result[0].filename == "Bunny - 02.mp4"
    with Sabi.open(data_dir=tmp_path / "data") as sabi:
        with pytest.raises(DescriptorMismatch, match="colorlayout"):
            sabi.search(screenshot(rgb))
        with pytest.raises(DescriptorMismatch):
            sabi.index([folder])
