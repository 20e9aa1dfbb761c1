"""The same calling code on Milvus (Lite file): index, search, re-index, remove."""

from __future__ import annotations

from media import frame_at, screenshot

from sabi.app import Sabi


def test_index_and_search_through_milvus_lite(tmp_path, shared_media):
    with Sabi.open(data_dir=tmp_path / "data", store="milvus") as sabi:
        assert sabi.index([shared_media / "big_buck_bunny_0_30.webm"], show="Bunny", episode=1).ok
        assert sabi.index([shared_media / "bikes.mp4"], show="Bikes").ok
        t, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 14.0)
        best = sabi.search(screenshot(rgb)).result[0]
        assert best.show.title == "Bunny" and best.from_ - 1 <= t <= best.to + 1
        assert sabi.store.count() == sabi.catalog.stats().frames
        assert sabi.index([shared_media / "bikes.mp4"], show="Bikes").count("unchanged") == 1
        sabi.remove(show="Bunny")
        assert sabi.store.episode_ids() == sabi.catalog.indexed_ids()
    assert (tmp_path / "data" / "milvus.db").exists()
