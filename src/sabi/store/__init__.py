"""Store: frame vectors behind one small interface, embedded FAISS or Milvus.

``STORES`` is the one list of stores: the settings' description and validation are made from
it. A new store is a module here (meeting ``VectorStore``) plus one entry below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sabi.store.base import Hit, VectorStore


class StoreOptions(Protocol):
    """The settings a store is opened with (``sabi.settings.Settings`` has them)."""

    @property
    def store(self) -> str: ...
    @property
    def data_dir(self) -> Path: ...
    @property
    def threads(self) -> int: ...
    @property
    def exact_below(self) -> int: ...
    @property
    def rerank(self) -> int: ...
    @property
    def pq_bytes(self) -> int: ...
    @property
    def milvus(self) -> str: ...
    @property
    def milvus_token(self) -> str: ...
    @property
    def milvus_collection(self) -> str: ...
    @property
    def hnsw_m(self) -> int: ...
    @property
    def hnsw_ef_construction(self) -> int: ...
    @property
    def hnsw_ef_search(self) -> int: ...
    @property
    def milvus_index(self) -> str: ...
    @property
    def milvus_nlist(self) -> int: ...
    @property
    def milvus_nprobe(self) -> int: ...
    @property
    def milvus_search_list(self) -> int: ...


@dataclass(frozen=True)
class StoreKind:
    """A named store: how to open it for ``dim``-d vectors, and one line on what it is."""

    open: Callable[[StoreOptions, int], VectorStore]
    about: str


def _faiss(options: StoreOptions, dim: int) -> VectorStore:
    from sabi.store.faiss_store import FaissParams, FaissStore

    params = FaissParams(
        exact_below=options.exact_below,
        rerank=options.rerank,
        pq_bytes=options.pq_bytes,
        threads=options.threads,
    )
    return FaissStore(options.data_dir / "faiss", dim, params)


def _milvus(options: StoreOptions, dim: int) -> VectorStore:
    from sabi.store.milvus_store import MilvusIndex, MilvusStore

    index = MilvusIndex(
        kind=options.milvus_index,
        hnsw_m=options.hnsw_m,
        ef_construction=options.hnsw_ef_construction,
        ef=options.hnsw_ef_search,
        nlist=options.milvus_nlist,
        nprobe=options.milvus_nprobe,
        search_list=options.milvus_search_list,
    )
    return MilvusStore(
        options.milvus,
        dim,
        collection=options.milvus_collection,
        token=options.milvus_token,
        index=index,
    )


# The backends load lazily: FAISS and pymilvus are only imported by the one in use.
STORES: dict[str, StoreKind] = {
    "faiss": StoreKind(_faiss, "embedded FAISS in <data_dir>/faiss, the default"),
    "milvus": StoreKind(_milvus, "Milvus Lite or a Milvus server: see milvus_uri"),
}


def open_store(options: StoreOptions, dim: int) -> VectorStore:
    """The configured vector store for ``dim``-d vectors. Opening writes nothing: only ``add``
    and ``delete`` do, and they are for the holder of the data directory's write lock."""
    kind = STORES.get(options.store)
    if kind is None:
        raise ValueError(f"unknown store {options.store!r}: use one of {', '.join(STORES)}")
    return kind.open(options, dim)


__all__ = ["STORES", "Hit", "StoreKind", "StoreOptions", "VectorStore", "open_store"]
