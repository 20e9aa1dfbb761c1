"""The download-state table arrives with the feature's own schema step, also in an existing
database, and also in one that the catalogue's old step 3 gave it."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from sabi.acquire.bilibili.models import SCHEMA_STEPS, BiliEpisode
from sabi.catalog import Catalog
from sabi.catalog.migrations import LATEST

pytestmark = pytest.mark.fast


def test_an_older_database_gains_the_table(tmp_path):
    url = f"sqlite:///{tmp_path / 'sabi.db'}"
    c = Catalog(url)  # the conftest registered the feature, as sabi.cli does
    with c.engine.begin() as conn:
        conn.execute(text("DROP TABLE bilibili_episodes"))
        conn.execute(text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
        conn.execute(text("DELETE FROM meta WHERE key = 'schema_version.bilibili'"))
    c.close()
    c = Catalog(url)
    assert {"bilibili_episodes", "bilibili_seasons"} <= set(inspect(c.engine).get_table_names())
    assert c.get_meta("schema_version") == str(LATEST)
    assert c.get_meta("schema_version.bilibili") == str(len(SCHEMA_STEPS))
    c.close()


def test_a_database_from_one_schema_version_keeps_its_rows(tmp_path):
    """Before features had their own steps, step 3 of the one list made the table."""
    url = f"sqlite:///{tmp_path / 'sabi.db'}"
    c = Catalog(url)
    with c.session() as s:
        s.add(BiliEpisode(ep_id=7, status="indexed", attempts=0, size=0))
    with c.engine.begin() as conn:
        conn.execute(text("UPDATE meta SET value = '3' WHERE key = 'schema_version'"))
        conn.execute(text("DELETE FROM meta WHERE key = 'schema_version.bilibili'"))
    c.close()
    c = Catalog(url)
    assert c.get_meta("schema_version.bilibili") == str(len(SCHEMA_STEPS))
    with c.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM bilibili_episodes")).scalars().all() == [
            "indexed"
        ]
    c.close()


def test_a_database_from_before_watching_gains_the_seasons_table(tmp_path):
    url = f"sqlite:///{tmp_path / 'sabi.db'}"
    c = Catalog(url)
    with c.session() as s:
        s.add(BiliEpisode(ep_id=7, status="indexed", attempts=0, size=0))
    with c.engine.begin() as conn:
        conn.execute(text("DROP TABLE bilibili_seasons"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version.bilibili'"))
    c.close()
    c = Catalog(url)
    assert "bilibili_seasons" in inspect(c.engine).get_table_names()
    assert c.get_meta("schema_version.bilibili") == "2"
    with c.engine.connect() as conn:
        assert conn.execute(text("SELECT ep_id FROM bilibili_episodes")).scalars().all() == [7]
    c.close()
