"""`sabi db upgrade`: the schema command operators run once before starting many processes."""

from __future__ import annotations

import json
import threading

from sqlalchemy import inspect
from typer.testing import CliRunner

from sabi.catalog import Catalog, upgrade_schema
from sabi.catalog.migrations import LATEST
from sabi.cli import app


def test_db_upgrade_creates_then_reports_up_to_date(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["db", "upgrade", "-d", str(tmp_path / "lib")])
    assert r.exit_code == 0, r.output
    assert f"engine: version {LATEST} (upgraded from 0)" in r.stdout
    assert "bilibili: version" in r.stdout  # registered features are upgraded too
    r = runner.invoke(app, ["db", "upgrade", "--json", "-d", str(tmp_path / "lib")])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    engine = next(s for s in doc["schemas"] if s["schema"] == "engine")
    assert engine == {"schema": "engine", "before": LATEST, "version": LATEST, "latest": LATEST}
    assert all(s["before"] == s["version"] == s["latest"] for s in doc["schemas"])
    c = Catalog(f"sqlite:///{tmp_path / 'lib' / 'sabi.db'}")
    assert {"shows", "episodes", "cuts"} <= set(inspect(c.engine).get_table_names())
    c.close()


def test_processes_upgrading_postgres_at_once_do_not_race(pg_url):
    """Four at once on an empty PostgreSQL database: the advisory lock lines them up, so
    exactly one creates the tables and the others find them current."""
    results: list[object] = []

    def upgrade() -> None:
        try:
            after, before = upgrade_schema(pg_url)
            results.append((before[0], after[0].current))
        except Exception as exc:  # noqa: BLE001 - the failure is what the test reports
            results.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [(0, LATEST)] + [(LATEST, LATEST)] * 3


def test_db_upgrade_hides_the_password(tmp_path, pg_url):
    url = pg_url.replace("sabi@", "sabi:hunter2@")
    r = CliRunner().invoke(
        app, ["db", "upgrade", "-d", str(tmp_path)], env={"SABI_DATABASE_URL": url}
    )
    assert "hunter2" not in r.output
    assert r.exit_code == 0, r.output
