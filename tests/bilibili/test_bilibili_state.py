"""The per-episode download state: a row that is not there (removed meanwhile, or never
recorded) is made rather than failing the download."""

from __future__ import annotations

from sabi.acquire.bilibili.state import DownloadState
from sabi.catalog import Catalog


def test_an_attempt_on_an_unknown_episode_makes_its_row(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'sabi.db'}")
    state = DownloadState(catalog)
    assert state.get(42) is None
    assert state.begin_attempt(42) == 1
    row = state.get(42)
    assert row is not None and (row.status, row.attempts) == ("downloading", 1)
    state.fail(42, "network", "dropped")
    assert state.begin_attempt(42) == 2
    catalog.close()
