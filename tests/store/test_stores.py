"""STORES is the one list of stores: each name opens a store meeting the VectorStore contract,
with the settings that name it (Milvus's HNSW build settings included)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from sabi.settings import Settings
from sabi.store import STORES, open_store


@pytest.mark.parametrize("name", list(STORES))
def test_each_name_opens_a_working_store(name, tmp_path):
    store = open_store(Settings(data_dir=tmp_path, store=name), 8)
    try:
        vectors = np.eye(8, dtype=np.float32)[:3]
        store.add(1, vectors, np.arange(3.0), np.arange(1.0, 4.0))
        store.flush()
        assert store.search(vectors[:1], 1)[0][0].episode_id == 1
    finally:
        store.close()


@pytest.mark.milvus_server
def test_hnsw_build_settings_reach_the_milvus_index(milvus_server_uri, tmp_path):
    """(Milvus Lite does not report index parameters; the server does.)"""
    settings = Settings(
        data_dir=tmp_path,
        store="milvus",
        milvus_uri=milvus_server_uri,
        milvus_collection=f"t_{uuid.uuid4().hex[:12]}",
        hnsw_m=12,
        hnsw_ef_construction=40,
    )
    store = open_store(settings, 8)
    try:
        info = store.client.describe_index(settings.milvus_collection, "vector")
        assert (int(info["M"]), int(info["efConstruction"])) == (12, 40)
    finally:
        store.client.drop_collection(settings.milvus_collection)
        store.close()
