"""Sampled-frame thumbnails in the catalogue: replaced per episode, read by time window, gone
with their episode, and added to a database made before they existed."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from sabi.catalog import Catalog
from sabi.catalog.migrations import LATEST


def _episode(c: Catalog, name: str) -> int:
    show = c.ensure_show("Show")
    return c.begin_episode(
        show, f"/videos/{name}", filename=name, size=1, mtime=0.0, fingerprint="f"
    )


@pytest.fixture(params=["sqlite", "postgres"])
def catalog(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'sabi.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    c = Catalog(url)
    yield c
    c.close()


def test_samples_are_replaced_and_read_by_window(catalog):
    a, b = _episode(catalog, "a.mp4"), _episode(catalog, "b.mp4")
    catalog.set_samples(a, [(t / 2, bytes([t]) * 144) for t in range(10)])
    catalog.set_samples(b, [(1.0, b"\x07" * 144)])
    assert [t for t, _ in catalog.samples(a, 1.0, 2.5)] == [1.0, 1.5, 2.0, 2.5]
    assert catalog.samples(a, 1.0, 1.0) == [(1.0, b"\x02" * 144)]
    catalog.set_samples(a, [(0.5, b"\x09" * 144)])  # indexed again: the old rows go
    assert catalog.samples(a, 0.0, 10.0) == [(0.5, b"\x09" * 144)]
    catalog.delete_episodes([a])
    assert catalog.samples(a, 0.0, 10.0) == []
    assert catalog.samples(b, 0.0, 10.0) == [(1.0, b"\x07" * 144)]


def test_a_database_from_before_gets_the_table_and_keeps_its_episodes(tmp_path):
    url = f"sqlite:///{tmp_path / 'sabi.db'}"
    c = Catalog(url)
    a = _episode(c, "a.mp4")
    with c.engine.begin() as conn:  # as the previous version left it
        conn.execute(text("DROP TABLE samples"))
        conn.execute(text("UPDATE meta SET value = '3' WHERE key = 'schema_version'"))
    c.close()
    c = Catalog(url)
    assert "samples" in inspect(c.engine).get_table_names()
    assert c.get_meta("schema_version") == str(LATEST)
    assert c.samples(a, 0.0, 10.0) == []  # indexed before: no thumbnails, nothing breaks
    assert c.views([a])[a].filename == "a.mp4"
    c.close()
