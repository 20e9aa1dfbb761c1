"""Frame vectors in Milvus: a Milvus Lite folder (``*.db``) or a Milvus server.

One row per frame (episode id, show id, time span, vector) in one collection, searched by inner
product. On a server the index is the ``milvus_index`` setting (HNSW, IVF_FLAT, IVF_SQ8, DISKANN
or FLAT, bench/results/scale_milvus.md compares them) and every search sends that index's search
parameters explicitly; Milvus Lite always searches exactly (FLAT). ``show_id`` is the
collection's partition key: Milvus hashes shows into ``PARTITIONS`` partitions and a search
filtered by show only visits the partitions its shows hash to. Every read asks for Strong
consistency, so a search sees the writes made just before it, which the indexer's
replace-then-mark-indexed ordering relies on.

Writes: inserts go in batches of up to ``INSERT_ROWS`` rows (and ``INSERT_BYTES``). A server
has the rows in its write-ahead log once ``insert`` returns, so nothing is flushed per episode;
the writer calls ``flush`` once at the end of a run (or of a worker's batch), which seals the
growing segments so the server builds their index. Compaction is the server's own (automatic
compaction merges small sealed segments and drops deleted rows); ``flush`` also asks for one
when the run deleted at least ``COMPACT_SHARE`` of the rows, e.g. after re-indexing or removing
shows, so deleted frames stop costing search time before the server gets round to them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from pymilvus import DataType, MilvusClient, MilvusException

from sabi.errors import StoreMismatch
from sabi.store.base import Hit, check_batch

STRONG = "Strong"
MAX_TOPK = 16_384  # Milvus refuses larger limits
INSERT_ROWS = 5_000
INSERT_BYTES = 32 << 20  # stay well under the server's 64 MiB gRPC message limit
ITERATOR_BATCH = 16_384
FIELDS = ["episode_id", "start", "end"]
PARTITIONS = 64  # partition-key buckets; a one-show search visits one of them
COMPACT_SHARE = 0.1  # flush asks for a compaction when a run deleted this share of the rows
INDEXES = ("HNSW", "IVF_FLAT", "IVF_SQ8", "DISKANN", "FLAT")
LITE_INDEX_WAIT = 30.0  # seconds an add waits for Milvus Lite to write its index file

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
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MilvusIndex:
    """The index a new collection gets, and the search parameters for each kind.

    Search parameters follow the collection's actual index (``describe_index``), not this
    setting, so a collection built with another index is still searched correctly."""

    kind: str = "HNSW"
    hnsw_m: int = 32
    ef_construction: int = 128
    ef: int = 128  # HNSW search beam (at least k)
    nlist: int = 1024  # IVF lists
    nprobe: int = 64  # IVF lists visited per search
    search_list: int = 100  # DISKANN search list (at least k)

    def build_params(self) -> dict[str, Any]:
        kind = self.kind
        if kind == "HNSW":
            return {"M": self.hnsw_m, "efConstruction": self.ef_construction}
        if kind in ("IVF_FLAT", "IVF_SQ8"):
            return {"nlist": self.nlist}
        if kind in ("DISKANN", "FLAT"):
            return {}
        raise ValueError(f"unknown Milvus index {kind!r}: use one of {', '.join(INDEXES)}")

    def search_params(self, kind: str, k: int) -> dict[str, Any]:
        """Explicit parameters for a search of ``k`` results on an index of ``kind``."""
        if kind == "HNSW":
            return {"ef": max(self.ef, k)}
        if kind.startswith("IVF"):
            return {"nprobe": self.nprobe}
        if kind == "DISKANN":
            return {"search_list": max(self.search_list, k)}
        return {}


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
        index: MilvusIndex | None = None,
        ef_search: int | None = None,
        hnsw_m: int | None = None,
        ef_construction: int | None = None,
        consistency: str = STRONG,
    ):
        self.uri = uri
        self.consistency = consistency  # of searches; Strong waits for the server's next tick
        self.dim = dim
        self.collection = collection
        index = index or MilvusIndex()
        self.index = replace(
            index,
            ef=index.ef if ef_search is None else ef_search,
            hnsw_m=index.hnsw_m if hnsw_m is None else hnsw_m,
            ef_construction=index.ef_construction if ef_construction is None else ef_construction,
        )
        self.index.build_params()  # an unknown kind fails here, before anything is created
        self.lite = is_lite(uri)
        self.index_kind = "FLAT"  # the collection's actual index, read in _open
        self.has_show = True  # whether the collection has the show_id partition key
        self._deleted = 0  # rows deleted since the last compaction request
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
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        client = self._client
        if not client.has_collection(self.collection):
            self._create()
        fields = {f["name"]: f for f in client.describe_collection(self.collection)["fields"]}
        stored = int(fields["vector"]["params"]["dim"]) if "vector" in fields else None
        if stored != self.dim:
            raise StoreMismatch(
                f"Milvus collection {self.collection!r} holds {stored}-d vectors, not {self.dim}-d"
            )
        self.has_show = "show_id" in fields
        if not self.has_show:
            log.warning(
                "Milvus collection %r predates the show_id partition key: show-filtered "
                "searches visit every partition. To move it: `sabi export lib.npz`, set "
                "milvus_collection to a new name, `sabi import lib.npz`.",
                self.collection,
            )
        self.index_kind = self._stored_index()
        if not self.lite and self.index_kind != self.index.kind:
            log.warning(
                "Milvus collection %r has a %s index, not the configured %s: searching it as %s "
                "(a new collection gets the configured one)",
                self.collection,
                self.index_kind,
                self.index.kind,
                self.index_kind,
            )
        # A restarted server or a reopened Lite folder has the collection released.
        try:
            client.load_collection(self.collection)
        except MilvusException as exc:
            if not self.lite:
                raise
            self._rebuild_lite_index(exc)

    def _rebuild_lite_index(self, exc: MilvusException) -> None:
        """Milvus Lite builds a sealed segment's index file in the background after a flush; a
        process killed meanwhile leaves it empty or cut short, and the folder no longer loads
        ("No data left in file"). The rows are whole (their own files), so the index is made
        again from them."""
        log.warning(
            "Milvus Lite could not load %r (%s): building its vector index again",
            self._path,
            exc,
        )
        client = self._client
        with contextlib.suppress(MilvusException):
            client.release_collection(self.collection)
        client.drop_index(self.collection, "vector")
        index = client.prepare_index_params()
        index.add_index("vector", index_type="FLAT", metric_type="IP", params={})
        client.create_index(self.collection, index)
        client.load_collection(self.collection)

    def _create(self) -> None:
        client = self._client
        schema = MilvusClient.create_schema(auto_id=True, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("episode_id", DataType.INT64)
        schema.add_field("show_id", DataType.INT64, is_partition_key=True)
        schema.add_field("start", DataType.FLOAT)
        schema.add_field("end", DataType.FLOAT)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        index = client.prepare_index_params()
        # Milvus Lite filters an HNSW search while walking the graph (FAISS's IDSelector) and
        # stops after ef candidates, allowed or not: once its background compaction has merged
        # small segments, an episode filter under many nearer frames of other episodes misses
        # its best frame. Lite is for small libraries: search exactly.
        kind = "FLAT" if self.lite else self.index.kind
        params = {} if self.lite else self.index.build_params()
        index.add_index("vector", index_type=kind, metric_type="IP", params=params)
        client.create_collection(
            self.collection,
            schema=schema,
            index_params=index,
            consistency_level=STRONG,
            num_partitions=PARTITIONS,
        )

    def _stored_index(self) -> str:
        client = self._client
        for name in client.list_indexes(self.collection, field_name="vector") or []:
            kind = client.describe_index(self.collection, name).get("index_type")
            if kind:
                return str(kind)
        return "FLAT"

    @property
    def _client(self) -> MilvusClient:
        if self.client is None:
            raise RuntimeError("the Milvus store is closed")
        return self.client

    # ----- the VectorStore interface

    def add(
        self,
        episode_id: int,
        vectors: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        *,
        show_id: int | None = None,
    ) -> None:
        vectors = check_batch(self.dim, vectors, starts, ends)
        self.delete(episode_id)
        step = max(1, min(INSERT_ROWS, INSERT_BYTES // (4 * self.dim)))
        ep = int(episode_id)
        extra = {"show_id": int(show_id or 0)} if self.has_show else {}
        for first in range(0, len(vectors), step):
            rows = [
                {"episode_id": ep, **extra, "start": float(s), "end": float(e), "vector": v}
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
        # in-process, so it must flush for the rows to survive a crash, and wait for the
        # sealed segment's index file, written in the background (see _rebuild_lite_index).
        if self.lite:
            self._client.flush(self.collection)
            self._wait_for_lite_index()

    def _wait_for_lite_index(self) -> None:
        deadline = time.monotonic() + LITE_INDEX_WAIT
        while time.monotonic() < deadline:
            info = self._client.describe_index(self.collection, "vector")
            if int(info.get("pending_index_rows", 0) or 0) == 0:
                return
            time.sleep(0.02)
        log.warning("Milvus Lite is still indexing %r after %.0f s", self._path, LITE_INDEX_WAIT)

    def delete(self, episode_id: int) -> None:
        done = self._client.delete(self.collection, filter=f"episode_id == {int(episode_id)}")
        with contextlib.suppress(TypeError, KeyError, AttributeError, ValueError):
            self._deleted += int(done["delete_count"])

    def flush(self) -> None:
        """The end of a write run: seal what was written (the server then builds the index of
        the sealed segments), and ask for a compaction when the run deleted many rows."""
        client = self._client
        client.flush(self.collection)
        if self._deleted and not self.lite:
            total = self.count()
            if self._deleted >= COMPACT_SHARE * max(1, total + self._deleted):
                client.compact(self.collection)
                log.info(
                    "asked Milvus to compact %r (%d rows deleted)", self.collection, self._deleted
                )
        self._deleted = 0

    def search(
        self,
        queries: np.ndarray,
        k: int,
        episodes: Collection[int] | None = None,
        *,
        shows: Collection[int] | None = None,
    ) -> list[list[Hit]]:
        """``shows``: the show ids the ``episodes`` belong to, when the search is filtered by
        show: a ``show_id in [...]`` term lets Milvus prune partitions (the partition key);
        the episode term keeps the answer exact."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if queries.shape[1] != self.dim:
            raise ValueError(f"query vectors must be {self.dim}-d, not {queries.shape[1]}-d")
        allowed = None if episodes is None else sorted({int(e) for e in episodes})
        in_shows = None if shows is None or not self.has_show else sorted({int(s) for s in shows})
        if k <= 0 or len(queries) == 0 or allowed == [] or in_shows == []:
            return [[] for _ in queries]
        k = min(k, MAX_TOPK)
        terms = []
        if in_shows is not None:
            terms.append(f"show_id in {in_shows}")
        if allowed is not None:
            terms.append(f"episode_id in {allowed}")
        results = self._client.search(
            self.collection,
            data=[q.tolist() for q in queries],
            limit=k,
            filter=" and ".join(terms),
            output_fields=FIELDS,
            search_params={
                "metric_type": "IP",
                "params": self.index.search_params(self.index_kind, k),
            },
            consistency_level=self.consistency,
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

    def vectors(self, episode_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """An episode's stored frames in time order: Milvus keeps the raw float32 vectors
        beside every index, so a library can be exported and its index rebuilt elsewhere."""
        rows: list[dict[str, Any]] = []
        it = self._client.query_iterator(
            self.collection,
            batch_size=ITERATOR_BATCH // 4,
            filter=f"episode_id == {int(episode_id)}",
            output_fields=["start", "end", "vector"],
            consistency_level=STRONG,
        )
        try:
            while batch := it.next():
                rows.extend(batch)
        finally:
            it.close()
        return self._in_time_order(rows)

    def around(
        self, episode_id: int, lo: float, hi: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One filtered query, at the searches' consistency level (a handful of rows)."""
        rows = self._client.query(
            self.collection,
            filter=f"episode_id == {int(episode_id)} and start >= {float(lo)!r} "
            f"and start <= {float(hi)!r}",
            output_fields=["start", "end", "vector"],
            consistency_level=self.consistency,
        )
        return self._in_time_order(rows)

    def _in_time_order(
        self, rows: list[dict[str, Any]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows.sort(key=lambda r: (float(r["start"]), float(r["end"])))
        vectors = np.array([r["vector"] for r in rows], np.float32).reshape(len(rows), self.dim)
        starts = np.array([r["start"] for r in rows], np.float32)
        ends = np.array([r["end"] for r in rows], np.float32)
        return vectors, starts, ends

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
