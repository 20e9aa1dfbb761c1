"""Store: frame vectors behind one small interface, embedded FAISS or Milvus."""

from __future__ import annotations

from sabi.settings import Settings
from sabi.store.base import Hit, VectorStore


def open_store(settings: Settings, dim: int, *, writable: bool = True) -> VectorStore:
    """The configured vector store for ``dim``-d vectors."""
    if settings.store == "milvus":
        from sabi.store.milvus_store import MilvusStore

        return MilvusStore(
            settings.milvus,
            dim,
            collection=settings.milvus_collection,
            token=settings.milvus_token,
            ef_search=settings.hnsw_ef_search,
        )
    from sabi.store.faiss_store import FaissParams, FaissStore

    params = FaissParams(
        hnsw_m=settings.hnsw_m,
        ef_construction=settings.hnsw_ef_construction,
        ef_search=settings.hnsw_ef_search,
        exact_below=settings.exact_below,
        threads=settings.threads,
    )
    return FaissStore(settings.data_dir / "faiss", dim, params, writable=writable)


__all__ = ["Hit", "VectorStore", "open_store"]
