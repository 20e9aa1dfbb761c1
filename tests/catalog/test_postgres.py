"""The catalogue on a real PostgreSQL server: index, search, filter, re-index, remove."""

from __future__ import annotations

from media import frame_at, screenshot

from sabi.app import Sabi


def test_full_cycle_on_postgres(tmp_path, pg_url, shared_media):
    with Sabi.open(data_dir=tmp_path / "data", database_url=pg_url) as sabi:
        report = sabi.index(
            [shared_media / "big_buck_bunny_0_30.webm"], show="Bunny", tag="bunny", episode=1
        )
        assert report.ok and report.count("indexed") == 1
        sabi.index([shared_media / "bikes.mp4"], show="Bikes", tag="street")
        assert sabi.index([shared_media / "bikes.mp4"], show="Bikes").count("unchanged") == 1

        t, rgb = frame_at(shared_media / "big_buck_bunny_0_30.webm", 9.0)
        best = sabi.search(screenshot(rgb)).result[0]
        assert best.show.title == "Bunny" and best.episode == 1
        assert best.from_ - 1 <= t <= best.to + 1
        assert {r.show.tag for r in sabi.search(screenshot(rgb), tag="street").result} == {"street"}

        stats = sabi.stats()
        assert stats.episodes == 2 and stats.frames == sabi.store.count()
        assert sabi.remove(show="Bunny") == 1
        assert [t for _, t, _, _ in sabi.catalog.shows()] == ["Bikes"]
    # The schema version is recorded: opening again migrates nothing and keeps the data.
    with Sabi.open(data_dir=tmp_path / "data", database_url=pg_url) as sabi:
        assert sabi.catalog.get_meta("schema_version") is not None
        assert sabi.stats().episodes == 1
