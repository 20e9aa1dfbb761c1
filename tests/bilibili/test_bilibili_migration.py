"""The download-state table arrives with its own schema step, also in an existing database."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from sabi.catalog import Catalog
from sabi.catalog.migrations import LATEST, STEPS

pytestmark = pytest.mark.fast


def test_an_older_database_gains_the_table(tmp_path):
    before = next(i for i, step in enumerate(STEPS) if "bilibili" in step.__name__)
    url = f"sqlite:///{tmp_path / 'sabi.db'}"
    c = Catalog(url)
    with c.engine.begin() as conn:
        conn.execute(text("DROP TABLE bilibili_episodes"))
        conn.execute(
            text("UPDATE meta SET value = :v WHERE key = 'schema_version'"), {"v": str(before)}
        )
    c.close()
    c = Catalog(url)
    assert "bilibili_episodes" in inspect(c.engine).get_table_names()
    assert c.get_meta("schema_version") == str(LATEST)
    c.close()
