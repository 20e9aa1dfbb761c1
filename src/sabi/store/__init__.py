"""Store: frame vectors behind one small interface, embedded FAISS or Milvus."""

from __future__ import annotations

from sabi.settings import Settings
from sabi.store.base import Hit, VectorStore


def open_store(settings: Settings, dim: int) -> VectorStore:
    """The configured vector store for ``dim``-d vectors. Opening writes nothing: only ``add``
    and ``delete`` do, and they are for the holder of the data directory's write lock."""
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
        exact_below=settings.exact_below,
        rerank=settings.rerank,
        pq_bytes=settings.pq_bytes,
        threads=settings.threads,
    )
    return FaissStore(settings.data_dir / "faiss", dim, params)


__all__ = ["Hit", "VectorStore", "open_store"]
