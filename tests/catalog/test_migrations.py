"""Schema steps: the engine's, then each registered feature's, each counted under its own key,
so a process that did not register a feature neither creates nor breaks its tables."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, inspect, text

import sabi.acquire.bilibili.models  # noqa: F401  (its table is known to SQLAlchemy, not made)
from sabi.catalog import Catalog, migrations
from sabi.catalog.migrations import LATEST, register_schema
from sabi.errors import IndexMismatch


@pytest.fixture
def no_features(monkeypatch):
    """The schema registry as a process that registered nothing has it (restored after)."""
    monkeypatch.setattr(migrations, "_features", {})


def _make(name: str):
    def step(conn: Connection) -> None:
        conn.execute(text(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)"))

    step.__name__ = f"make_{name}"
    return step


def _tables(c: Catalog) -> set[str]:
    return set(inspect(c.engine).get_table_names())


def test_the_engine_makes_only_its_own_tables(no_features, tmp_path):
    c = Catalog(f"sqlite:///{tmp_path / 'sabi.db'}")
    assert {"shows", "episodes", "meta", "cuts", "api_keys", "api_usage"} <= _tables(c)
    assert "bilibili_episodes" not in _tables(c)
    assert c.get_meta("schema_version") == str(LATEST)
    c.close()


def test_a_feature_steps_run_once_in_order_under_their_own_version(no_features, tmp_path):
    url = f"sqlite:///{tmp_path / 'sabi.db'}"
    Catalog(url).close()  # a database made before the feature was there
    first = _make("toy_a")
    register_schema("toy", [first])
    c = Catalog(url)
    assert "toy_a" in _tables(c) and c.get_meta("schema_version.toy") == "1"
    c.close()
    migrations._features.clear()  # a later sabi, whose feature has a second step
    register_schema("toy", [first, _make("toy_b")])
    c = Catalog(url)  # step 1 is not run again (it would fail: the table exists)
    assert {"toy_a", "toy_b"} <= _tables(c) and c.get_meta("schema_version.toy") == "2"
    assert c.get_meta("schema_version") == str(LATEST)
    c.close()


def test_without_the_feature_its_tables_and_version_are_left_alone(no_features, tmp_path):
    url = f"sqlite:///{tmp_path / 'sabi.db'}"
    register_schema("toy", [_make("toy_a")])
    Catalog(url).close()
    migrations._features.clear()
    c = Catalog(url)
    assert "toy_a" in _tables(c) and c.get_meta("schema_version.toy") == "1"
    c.close()


def test_a_newer_feature_schema_is_refused(no_features, tmp_path):
    url = f"sqlite:///{tmp_path / 'sabi.db'}"
    register_schema("toy", [_make("toy_a")])
    c = Catalog(url)
    c.set_meta("schema_version.toy", "5")
    c.close()
    with pytest.raises(IndexMismatch, match=r"\(toy tables\) is version 5"):
        Catalog(url)


def test_a_name_keeps_its_steps(no_features):
    first = _make("toy_a")
    register_schema("toy", [first])
    register_schema("toy", [first])  # again: no change
    with pytest.raises(ValueError, match="other steps"):
        register_schema("toy", [_make("toy_a")])
