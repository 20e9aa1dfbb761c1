"""Moving a library: embedded (FAISS + SQLite) -> Milvus server + PostgreSQL -> embedded again,
through `sabi export` / `sabi import` files, with the same answers at every stop."""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
import pytest
from conftest import CLIPS, answers, assert_same_answers
from typer.testing import CliRunner

from sabi.app import Sabi
from sabi.cli import app
from sabi.pipeline.precomputed import read_vector_file

pytestmark = pytest.mark.milvus_server


def _facts(sabi: Sabi) -> dict[str, tuple]:
    """What the catalogue says about each episode, keyed by file name (ids differ)."""
    views = sabi.catalog.views(sabi.catalog.select_episodes())
    return {
        v.filename: (
            v.show_title,
            v.show_tag,
            v.number,
            v.path,
            round(v.duration, 3),
            v.link,
            tuple(round(t, 3) for t in sabi.catalog.cuts(v.id)),
            _samples(sabi, v.id),
        )
        for v in views.values()
    }


def _samples(sabi: Sabi, episode_id: int) -> tuple[int, str]:
    """How many sampled-frame thumbnails an episode has, and a digest of them with their times."""
    rows = sabi.catalog.samples(episode_id, 0.0, 1e9)
    digest = hashlib.sha256(b"".join(f"{t:.3f}".encode() + b for t, b in rows)).hexdigest()
    return len(rows), digest


def test_embedded_to_milvus_and_postgres_and_back(
    tmp_path, embedded, queries, milvus_server_uri, pg_url, shared_media
):
    runner = CliRunner()
    first = tmp_path / "embedded.npz"
    r = runner.invoke(app, ["export", str(first), "-d", str(embedded)])
    assert r.exit_code == 0, r.output
    with Sabi.open(data_dir=embedded) as sabi:
        before, facts = answers(sabi, queries), _facts(sabi)
        frames = sabi.stats().frames
    assert set(facts) == set(CLIPS) and all(f[6] for f in facts.values()), "cuts exported"
    assert all(f[7][0] > 0 for f in facts.values()), "thumbnails exported"
    vf = read_vector_file(first)
    assert vf.frames == frames and len(vf.episodes) == 2

    server = {
        "store": "milvus",
        "milvus_uri": milvus_server_uri,
        "milvus_collection": f"moved_{uuid.uuid4().hex[:8]}",
        "database_url": pg_url,
    }
    with Sabi.open(data_dir=tmp_path / "server", **server) as sabi:
        ids, imported = sabi.import_file(first)
        assert (len(ids), imported) == (2, frames)
        assert_same_answers(before, answers(sabi, queries))
        assert _facts(sabi) == facts
        assert sabi.store.count() == frames
        # and out again, from Milvus's float32 rows and PostgreSQL's rows
        second = tmp_path / "server.npz"
        report = sabi.export(second)
        assert (report.episodes, report.frames) == (2, frames)
        _assert_rows_carry_their_show(sabi)
        # A show filter reaches Milvus as a partition-key term and finds only that show.
        bikes = sabi.search(queries[-1], show="Bikes").result
        assert bikes and {r.show.title for r in bikes} == {"Bikes"}
        # The indexer's path passes the show id too (the file is indexed again: its size
        # differs from the imported row's).
        assert sabi.index([shared_media / "bikes.mp4"], show="Bikes", tag="bikes").ok
        _assert_rows_carry_their_show(sabi)

    back = tmp_path / "back"
    r = runner.invoke(app, ["import", str(second), "-d", str(back)])
    assert r.exit_code == 0, r.output
    assert "imported 2 episode(s)" in r.stdout
    with Sabi.open(data_dir=back) as sabi:
        assert_same_answers(before, answers(sabi, queries))
        assert _facts(sabi) == facts
        # the embedded store re-encodes the very int8 codes it exported
        old = Sabi.open(data_dir=embedded)
        try:
            for name in CLIPS:
                a = _vectors_of(old, name)
                b = _vectors_of(sabi, name)
                np.testing.assert_allclose(a[0], b[0], atol=1e-6)
                np.testing.assert_array_equal(a[1], b[1])
        finally:
            old.close()


def _vectors_of(sabi: Sabi, filename: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    (view,) = [
        v
        for v in sabi.catalog.views(sabi.catalog.select_episodes()).values()
        if v.filename == filename
    ]
    return sabi.store.vectors(view.id)


def _assert_rows_carry_their_show(sabi: Sabi) -> None:
    """Every Milvus row's show_id (the partition key) is its episode's show in the catalogue."""
    store = sabi.store
    rows = store.client.query(  # type: ignore[attr-defined]
        store.collection,  # type: ignore[attr-defined]
        filter="episode_id >= 0",
        output_fields=["episode_id", "show_id"],
        limit=16_384,
        consistency_level="Strong",
    )
    views = sabi.catalog.views({int(r["episode_id"]) for r in rows})
    assert rows and all(int(r["show_id"]) == views[int(r["episode_id"])].show_id for r in rows)
