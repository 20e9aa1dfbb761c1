"""Milvus server at scale: the show_id partition key, the index setting, older collections.

Against the real Milvus standalone server (tests/milvus_server.py)."""

from __future__ import annotations

import logging
import uuid

import numpy as np
import pytest
from pymilvus import DataType, MilvusClient
from test_contract import DIM, STEP, episode, times

from sabi.store.milvus_store import MilvusIndex, MilvusStore

pytestmark = pytest.mark.milvus_server


@pytest.fixture
def collection() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def _add(store: MilvusStore, ep: int, show: int | None, frames: int = 40) -> np.ndarray:
    vectors = episode(seed=ep, frames=frames)
    store.add(ep, vectors, *times(frames), show_id=show)
    return vectors


def test_show_id_is_the_partition_key_and_filters_by_show(milvus_server_uri, collection):
    store = MilvusStore(milvus_server_uri, DIM, collection=collection)
    try:
        fields = {f["name"]: f for f in store._client.describe_collection(collection)["fields"]}
        assert fields["show_id"].get("is_partition_key") is True
        eps = {ep: _add(store, ep, show) for ep, show in ((1, 10), (2, 10), (3, 20), (4, 30))}
        store.flush()
        query = eps[3][7][None]
        (hits,) = store.search(query, k=5, episodes=[3], shows=[20])
        assert (hits[0].episode_id, hits[0].start) == (3, 7 * STEP)
        # The show term is applied (it is what prunes partitions): a wrong show finds nothing.
        assert store.search(query, k=5, episodes=[3], shows=[10]) == [[]]
        assert store.search(query, k=5, episodes=[3], shows=[]) == [[]]
        (hits,) = store.search(eps[1][5][None], k=50, episodes=[1, 2], shows=[10])
        assert {h.episode_id for h in hits} <= {1, 2} and hits[0].episode_id == 1
        # Without a show the whole collection is searched, whatever the show ids.
        (hits,) = store.search(query, k=1)
        assert hits[0].episode_id == 3
        # Re-adding an episode under another show moves it.
        store.add(3, eps[3], *times(40), show_id=30)
        assert store.search(query, k=5, episodes=[3], shows=[20]) == [[]]
        assert store.search(query, k=1, episodes=[3], shows=[30])[0][0].episode_id == 3
        assert store.count() == 160
    finally:
        store._client.drop_collection(collection)
        store.close()


@pytest.mark.parametrize("kind", ["IVF_SQ8", "IVF_FLAT", "FLAT"])
def test_the_index_setting_builds_that_index_and_searches_it(milvus_server_uri, collection, kind):
    index = MilvusIndex(kind=kind, nlist=16, nprobe=16)
    store = MilvusStore(milvus_server_uri, DIM, collection=collection, index=index)
    try:
        assert store.index_kind == kind
        eps = {ep: _add(store, ep, ep % 3) for ep in range(1, 9)}
        store.flush()
        for ep in (2, 7):
            (hits,) = store.search(eps[ep][11][None], k=3)
            assert (hits[0].episode_id, hits[0].start) == (ep, 11 * STEP)
            assert hits[0].score == pytest.approx(1.0, abs=1e-3)
        assert index.search_params(kind, 10) == ({"nprobe": 16} if "IVF" in kind else {})
    finally:
        store._client.drop_collection(collection)
        store.close()


def test_search_params_follow_the_collections_index_not_the_setting(
    milvus_server_uri, collection, caplog
):
    first = MilvusStore(milvus_server_uri, DIM, collection=collection, index=MilvusIndex("FLAT"))
    _add(first, 1, 1)
    first.close()
    with caplog.at_level(logging.WARNING, logger="sabi.store.milvus_store"):
        store = MilvusStore(milvus_server_uri, DIM, collection=collection, index=MilvusIndex())
    try:
        assert store.index_kind == "FLAT"
        assert "has a FLAT index, not the configured HNSW" in caplog.text
        assert store.search(episode(seed=1, frames=40)[3][None], k=1)[0][0].start == 3 * STEP
    finally:
        store._client.drop_collection(collection)
        store.close()


def test_a_collection_without_show_id_keeps_working(milvus_server_uri, collection, caplog):
    """Made by an earlier sabi: no show_id field. Adds and show-filtered searches still work
    (the show term is dropped), and the log says how to move it."""
    client = MilvusClient(uri=milvus_server_uri)
    schema = MilvusClient.create_schema(auto_id=True, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("episode_id", DataType.INT64)
    schema.add_field("start", DataType.FLOAT)
    schema.add_field("end", DataType.FLOAT)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
    params = client.prepare_index_params()
    params.add_index(
        "vector", index_type="HNSW", metric_type="IP", params={"M": 16, "efConstruction": 64}
    )
    client.create_collection(collection, schema=schema, index_params=params)
    client.close()
    with caplog.at_level(logging.WARNING, logger="sabi.store.milvus_store"):
        store = MilvusStore(milvus_server_uri, DIM, collection=collection)
    try:
        assert not store.has_show
        assert "sabi export" in caplog.text and "sabi import" in caplog.text
        vectors = _add(store, 5, show=2)
        (hits,) = store.search(vectors[9][None], k=1, episodes=[5], shows=[2])
        assert (hits[0].episode_id, hits[0].start) == (5, 9 * STEP)
        got, starts, _ = store.vectors(5)
        np.testing.assert_allclose(got, vectors, atol=1e-6)
        np.testing.assert_allclose(starts, times(40)[0], atol=1e-6)
    finally:
        store._client.drop_collection(collection)
        store.close()


def test_flush_after_many_deletes_asks_for_a_compaction(milvus_server_uri, collection, caplog):
    store = MilvusStore(milvus_server_uri, DIM, collection=collection)
    try:
        for ep in range(1, 6):
            _add(store, ep, 1)
        store.flush()
        store.delete(1)
        store.delete(2)
        with caplog.at_level(logging.INFO, logger="sabi.store.milvus_store"):
            store.flush()
        assert "asked Milvus to compact" in caplog.text
        assert store.count() == 120 and store.episode_ids() == {3, 4, 5}
    finally:
        store._client.drop_collection(collection)
        store.close()
