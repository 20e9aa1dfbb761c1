"""Frame vectors in Milvus: a Milvus Lite folder (``*.db``) or a Milvus server.

One row per frame (episode id, time span, vector) in one collection, searched by inner product:
HNSW on a server, exactly (FLAT) in Milvus Lite. Every read asks for Strong consistency, so a search sees the writes made just before it,
which the indexer's replace-then-mark-indexed ordering relies on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Collection
from pathlib import Path

import numpy as np
from pymilvus import DataType, MilvusClient

from sabi.errors import StoreMismatch
from sabi.store.base import Hit, check_batch

STRONG = "Strong"
MAX_TOPK = 16_384  # Milvus refuses larger limits
INSERT_ROWS = 5_000
INSERT_BYTES = 32 << 20  # stay well under the server's 64 MiB gRPC message limit
ITERATOR_BATCH = 16_384
FIELDS = ["episode_id", "start", "end"]

# Milvus Lite runs in-process, one server per folder, and pymilvus never stops it on close; count
# our own users so the last close releases the folder (its lock and threads).
_lite_users: dict[str, int] = {}
_lite_lock = threading.Lock()


class _NoMvccWarning(logging.Filter):
    """Older servers and Lite lack the iterator's session timestamp; the client-side fallback
    is fine for Strong reads, so the warning pymilvus logs for every ``episode_ids`` is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("failed to get mvccTs")


logging.getLogger("pymilvus.client.iterator.query_iterator").addFilter(_NoMvccWarning())


def is_lite(uri: str) -> bool:
    """pymilvus's own rule: a URI ending in .db is a local Milvus Lite store."""
    return uri.endswith(".db")


class MilvusStore:
    """The VectorStore contract over pymilvus's MilvusClient; ``uri`` is a ``.db`` path for Milvus
    Lite or ``http://host:19530`` for a server."""

    def __init__(
        self,
        uri: str,
        dim: int,
        *,
        collection: str = "sabi_frames",
        token: str = "",
        ef_search: int = 128,
        hnsw_m: int = 32,
        ef_construction: int = 128,
    ):
        self.uri = uri
        self.dim = dim
        self.collection = collection
        self.ef_search = ef_search
        self.lite = is_lite(uri)
        self._holds_lite = False
        if self.lite:
            uri = os.path.abspath(uri)
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
            with _lite_lock:
                _lite_users[uri] = _lite_users.get(uri, 0) + 1
            self._holds_lite = True
        self._path = uri
        self.client: MilvusClient | None = None
        try:
            self.client = MilvusClient(uri=uri, token=token) if token else MilvusClient(uri=uri)
            self._open(hnsw_m, ef_construction)
        except BaseException:
            self.close()
            raise

    def _open(self, hnsw_m: int, ef_construction: int) -> None:
        client = self._client
        if client.has_collection(self.collection):
            stored = self._stored_dim()
            if stored != self.dim:
                raise StoreMismatch(
                    f"Milvus collection {self.collection!r} holds {stored}-d vectors, "
                    f"not {self.dim}-d"
                )
        else:
            schema = MilvusClient.create_schema(auto_id=True, enable_dynamic_field=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("episode_id", DataType.INT64)
            schema.add_field("start", DataType.FLOAT)
            schema.add_field("end", DataType.FLOAT)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
            index = client.prepare_index_params()
            if self.lite:
                # Milvus Lite filters an HNSW search while walking the graph (FAISS's IDSelector)
                # and stops after ef candidates, allowed or not: once its background compaction
                # has merged small segments, an episode filter under many nearer frames of other
                # episodes misses its best frame. Lite is for small libraries: search exactly.
                index.add_index("vector", index_type="FLAT", metric_type="IP")
            else:
                index.add_index(
                    "vector",
                    index_type="HNSW",
                    metric_type="IP",
                    params={"M": hnsw_m, "efConstruction": ef_construction},
                )
            client.create_collection(
                self.collection, schema=schema, index_params=index, consistency_level=STRONG
            )
        # A restarted server or a reopened Lite folder has the collection released.
        client.load_collection(self.collection)

    def _stored_dim(self) -> int | None:
        info = self._client.describe_collection(self.collection)
        for field in info["fields"]:
            if field["name"] == "vector":
                return int(field["params"]["dim"])
        return None

    @property
    def _client(self) -> MilvusClient:
        if self.client is None:
            raise RuntimeError("the Milvus store is closed")
        return self.client

    # ----- the VectorStore interface

    def add(
        self, episode_id: int, vectors: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> None:
        vectors = check_batch(self.dim, vectors, starts, ends)
        self.delete(episode_id)
        step = max(1, min(INSERT_ROWS, INSERT_BYTES // (4 * self.dim)))
        ep = int(episode_id)
        for first in range(0, len(vectors), step):
            rows = [
                {"episode_id": ep, "start": float(s), "end": float(e), "vector": v}
                for v, s, e in zip(
                    vectors[first : first + step],
                    starts[first : first + step],
                    ends[first : first + step],
                    strict=True,
                )
            ]
            self._client.insert(self.collection, rows)
        # A server has the rows in its write-ahead log once insert returns, and sealing a
        # segment per episode would cost seconds and fragment the index; Lite buffers its log
        # in-process, so it must flush for the rows to survive a crash.
        if self.lite:
            self.flush()

    def delete(self, episode_id: int) -> None:
        self._client.delete(self.collection, filter=f"episode_id == {int(episode_id)}")

    def flush(self) -> None:
        """Seal what was written into the collection's files (the indexer calls this at the end
        of a run)."""
        self._client.flush(self.collection)

    def search(
        self, queries: np.ndarray, k: int, episodes: Collection[int] | None = None
    ) -> list[list[Hit]]:
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if queries.shape[1] != self.dim:
            raise ValueError(f"query vectors must be {self.dim}-d, not {queries.shape[1]}-d")
        allowed = None if episodes is None else sorted({int(e) for e in episodes})
        if k <= 0 or len(queries) == 0 or allowed == []:
            return [[] for _ in queries]
        k = min(k, MAX_TOPK)
        results = self._client.search(
            self.collection,
            data=[q.tolist() for q in queries],
            limit=k,
            filter="" if allowed is None else f"episode_id in {allowed}",
            output_fields=FIELDS,
            search_params={"metric_type": "IP", "params": {"ef": max(self.ef_search, k)}},
            consistency_level=STRONG,
        )
        return [
            [
                Hit(
                    int(hit["entity"]["episode_id"]),
                    float(hit["entity"]["start"]),
                    float(hit["entity"]["end"]),
                    float(hit["distance"]),
                )
                for hit in per_query
            ]
            for per_query in results
        ]

    def episode_ids(self) -> set[int]:
        # Milvus has no DISTINCT; walking one int column is fine for a few million frames.
        found: set[int] = set()
        it = self._client.query_iterator(
            self.collection,
            batch_size=ITERATOR_BATCH,
            filter="",
            output_fields=["episode_id"],
            consistency_level=STRONG,
        )
        try:
            while batch := it.next():
                found.update(int(row["episode_id"]) for row in batch)
        finally:
            it.close()
        return found

    def count(self) -> int:
        rows = self._client.query(
            self.collection, filter="", output_fields=["count(*)"], consistency_level=STRONG
        )
        return int(rows[0]["count(*)"])

    def size_bytes(self) -> int:
        if not self.lite:
            return 0
        path = Path(self._path)
        if path.is_file():
            return path.stat().st_size
        total = 0
        for root, _, files in os.walk(path):
            for name in files:
                with contextlib.suppress(OSError):  # compaction may remove it meanwhile
                    total += os.path.getsize(os.path.join(root, name))
        return total

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.close()
        if self._holds_lite:
            self._holds_lite = False
            with _lite_lock:
                users = _lite_users.pop(self._path, 1) - 1
                if users:
                    _lite_users[self._path] = users
                    return
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(self._path)
