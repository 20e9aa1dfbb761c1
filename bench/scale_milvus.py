"""The real Milvus standalone server at scale: each index type's recall, latency, build and size.

For each library size N: N synthetic frame vectors (``bench.synth``, fitted to real descriptor
output; 12 episodes a show) go into one collection through ``MilvusStore.add`` (the indexer's
path: show id as the partition key, the store's insert batches, one flush at the end), which
measures insert throughput. Then for each index type the vector index is dropped and built
again (HNSW, IVF_FLAT, IVF_SQ8, DISKANN, FLAT), loaded, and searched with explicit parameters
swept over a range (HNSW ef, IVF nprobe, DISKANN search_list):

- recall@10 against exact inner-product search (numpy over the same float32 vectors), for
  queries that are stored frames plus a real edit (the pool's screenshot-edit deltas);
- p50/p95 latency of one query, limit 10, Strong consistency, from this process over loopback;
- one-show searches (the searcher's show filter: ``episode_id in [...]``) with and without the
  ``show_id in [...]`` term that lets Milvus prune partitions;
- build time, the server's RSS once loaded, its data folder on disk.

    python -m bench scale-milvus --sizes 100000,1000000

The server is started here (tests/milvus_server.py: loopback, free ports) unless ``--uri`` names
one. Everything runs on this machine's cores, the server's included.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import ROOT, RunInfo, dir_bytes, percentiles, rss_mib, say
from bench.store import exact_top

COLLECTION = "scale_bench"
QUERIES = 300
K = 10
SEED = 11
SWEEPS: dict[str, tuple[str, tuple[int, ...]]] = {
    "HNSW": ("ef", (16, 32, 64, 128, 256)),
    "IVF_FLAT": ("nprobe", (8, 16, 32, 64, 128)),
    "IVF_SQ8": ("nprobe", (8, 16, 32, 64, 128)),
    "DISKANN": ("search_list", (10, 20, 50, 100, 200)),
    "FLAT": ("-", (0,)),
}
# DISKANN is left out by default: the standalone binary of the PyPI wheel (2.3.5, built with
# Milvus Lite's toolchain) fails every DISKANN build ("C Runtime Exception: bad_function_call")
# and retries it forever; ``--index DISKANN`` tries it with a 10-minute limit.
INDEXES = ("HNSW", "IVF_FLAT", "IVF_SQ8", "FLAT")
BUILD_TIMEOUT = {"DISKANN": 600.0}


def _library(pool: Path, n: int) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int, int]]]:
    """(vectors, starts, episodes as (episode id, show id, rows)) of N synthetic frames."""
    from bench.pool import fitted_model
    from bench.synth import EPISODES_PER_SHOW, Collection

    vectors = np.empty((n, fitted_dim(pool)), np.float32)
    starts = np.empty(n, np.float32)
    episodes = []
    at = 0
    for i, v, s, _ in Collection(fitted_model(pool), seed=SEED).episodes(n):
        vectors[at : at + len(v)] = v
        starts[at : at + len(v)] = s
        episodes.append((i + 1, i // EPISODES_PER_SHOW + 1, len(v)))
        at += len(v)
    return vectors, starts, episodes


def fitted_dim(pool: Path) -> int:
    with np.load(pool) as z:
        return int(z["vectors"].shape[1])


def _queries(pool: Path, base: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Stored frames with a real edit applied (screenshot deltas), and the rows they came from."""
    rng = np.random.default_rng(SEED)
    with np.load(pool) as z:
        deltas = z["edit_deltas"]
    picks = rng.choice(len(base), count, replace=False)
    q = base[picks] + deltas[rng.integers(0, len(deltas), count)]
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return q.astype(np.float32), picks


def _wait_index(client: Any, rows: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = client.describe_index(COLLECTION, "vector")
        if info.get("state") in ("Finished", 3) and int(info.get("indexed_rows", 0)) >= rows:
            return
        if info.get("state") in ("Failed", 4):
            raise RuntimeError(f"index build failed: {info}")
        time.sleep(1)
    raise TimeoutError("index build did not finish")


def _rebuild(store: Any, kind: str, rows: int) -> float:
    """Drop the vector index, build ``kind``, load; returns seconds until loaded."""
    client = store.client
    client.release_collection(COLLECTION)
    for name in client.list_indexes(COLLECTION, field_name="vector") or []:
        client.drop_index(COLLECTION, name)
    params = client.prepare_index_params()
    index = store.index.__class__(kind=kind, nlist=store.index.nlist)
    params.add_index(
        "vector",
        index_name="vector",
        index_type=kind,
        metric_type="IP",
        params=index.build_params(),
    )
    t0 = time.perf_counter()
    client.create_index(COLLECTION, params)
    _wait_index(client, rows, BUILD_TIMEOUT.get(kind, 7200.0))
    client.load_collection(COLLECTION)
    store.index_kind = kind
    return time.perf_counter() - t0


def _timed(fn: Any, queries: np.ndarray) -> tuple[list[Any], list[float]]:
    out, ms = [], []
    for q in queries:
        t0 = time.perf_counter()
        out.append(fn(q)[0])
        ms.append(1000 * (time.perf_counter() - t0))
    return out, ms


def _measure(
    store: Any,
    kind: str,
    value: int,
    queries: np.ndarray,
    truth: list[set[tuple[int, float]]],
    show_queries: list[tuple[np.ndarray, list[int], int]],
) -> dict[str, Any]:
    from dataclasses import replace

    knob = SWEEPS[kind][0]
    if knob != "-":
        store.index = replace(store.index, **{knob: value})
    store.consistency = "Strong"  # what sabi searches with: waits for the next time tick
    _, strong_ms = _timed(lambda q: store.search(q[None, :], K), queries[:100])
    store.consistency = "Eventually"  # the index's own cost (the data is flushed and static)
    got, ms = _timed(lambda q: store.search(q[None, :], K), queries)
    recall = [
        len({(h.episode_id, round(h.start, 3)) for h in hits} & want) / K
        for hits, want in zip(got, truth, strict=True)
    ]
    eps_ms, show_ms = [], []
    for q, eps, show in show_queries:
        t0 = time.perf_counter()
        store.search(q[None, :], K, eps)
        eps_ms.append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        store.search(q[None, :], K, eps, shows=[show])
        show_ms.append(1000 * (time.perf_counter() - t0))
    p50, p95 = percentiles(ms, (50, 95))
    e50, e95 = percentiles(eps_ms, (50, 95))
    s50, s95 = percentiles(show_ms, (50, 95))
    (strong50,) = percentiles(strong_ms, (50,))
    say(f"  {kind} {knob}={value}: recall@10 {np.mean(recall):.4f}, p50 {p50:.1f} ms")
    return {
        "index": kind,
        "knob": knob,
        "value": value,
        "recall10": float(np.mean(recall)),
        "p50_ms": p50,
        "p95_ms": p95,
        "strong_p50_ms": strong50,
        "episode_filter_p50_ms": e50,
        "episode_filter_p95_ms": e95,
        "show_filter_p50_ms": s50,
        "show_filter_p95_ms": s95,
    }


def _insert(store: Any, vectors: np.ndarray, starts: np.ndarray, eps: list[Any]) -> float:
    t0 = time.perf_counter()
    at = 0
    for ep, show, rows in eps:
        s = starts[at : at + rows]
        store.add(ep, vectors[at : at + rows], s, s + 0.65, show_id=show)
        at += rows
    store.flush()
    return time.perf_counter() - t0


def bench_size(
    uri: str,
    pool: Path,
    n: int,
    indexes: tuple[str, ...],
    pid: int | None,
    data: Path | None,
    save: Any = None,
) -> dict[str, Any]:
    """Measure one size; ``save(block)`` is called after each index, so a run stopped part
    way keeps what it measured."""
    from sabi.store.milvus_store import MilvusIndex, MilvusStore

    say(f"scale-milvus: {n:,} frames")
    vectors, starts, eps = _library(pool, n)
    nlist = 1024 if n <= 1_000_000 else 4096
    store = MilvusStore(uri, vectors.shape[1], collection=COLLECTION, index=MilvusIndex("FLAT"))
    try:
        store.client.drop_collection(COLLECTION)  # type: ignore[union-attr]
        store.close()
        store = MilvusStore(
            uri, vectors.shape[1], collection=COLLECTION, index=MilvusIndex("FLAT", nlist=nlist)
        )
        insert_s = _insert(store, vectors, starts, eps)
        say(f"  inserted at {n / insert_s:,.0f} frames/s")
        queries, picks = _queries(pool, vectors, QUERIES)
        top = exact_top(vectors, queries, K, step=65_536)
        ep_of_row = np.repeat([e for e, _, _ in eps], [r for _, _, r in eps])
        truth = [{(int(ep_of_row[r]), round(float(starts[r]), 3)) for r in row} for row in top]
        show_of_row = np.repeat([s for _, s, _ in eps], [r for _, _, r in eps])
        show_eps: dict[int, list[int]] = {}
        for ep, show, _ in eps:
            show_eps.setdefault(show, []).append(ep)
        show_queries = [
            (q, show_eps[int(show_of_row[r])], int(show_of_row[r]))
            for q, r in zip(queries[:100], picks[:100], strict=True)
        ]
        runs: list[dict[str, Any]] = []
        builds: list[dict[str, Any]] = []
        block = {
            "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "frames": n,
            "dim": int(vectors.shape[1]),
            "episodes": len(eps),
            "shows": len(show_eps),
            "nlist": nlist,
            "insert_s": insert_s,
            "insert_frames_per_s": n / insert_s,
            "builds": builds,
            "runs": runs,
        }
        for kind in indexes:
            say(f"  building {kind}")
            try:
                build_s = _rebuild(store, kind, n)
            except (RuntimeError, TimeoutError) as exc:
                say(f"  {kind} failed: {exc}")
                builds.append({"index": kind, "failed": str(exc)[:300]})
                continue
            builds.append(
                {
                    "index": kind,
                    "build_s": build_s,
                    "server_rss_mib": rss_mib(pid) if pid else None,
                    "server_disk_bytes": dir_bytes(data) if data else None,
                }
            )
            for value in SWEEPS[kind][1]:
                runs.append(_measure(store, kind, value, queries, truth, show_queries))
            if save is not None:
                save(block)
        return block
    finally:
        if store.client is not None:
            store.client.release_collection(COLLECTION)
        store.close()


def _server(data: Path) -> Iterator[tuple[str, int | None]]:
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from milvus_server import (  # type: ignore[import-not-found]
        MilvusServer,
        milvus_home,
        set_key,
    )

    server = MilvusServer(milvus_home(), data)
    config = data / "configs" / "milvus.yaml"  # DISKANN needs the query node's disk index on
    config.write_text(set_key(config.read_text(), "queryNode.enableDisk", "true"))
    server.start()
    try:
        yield server.uri, server.proc.pid if server.proc else None
    finally:
        server.kill()


def bench_scale_milvus(
    results: Path,
    pool: Path,
    sizes: list[int],
    indexes: tuple[str, ...] = INDEXES,
    uri: str | None = None,
    work: Path | None = None,
) -> Path:
    import signal
    import sys

    from bench.markdown import publish
    from bench.scale_milvus_report import render

    run = RunInfo()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the server is stopped too
    data = (work or ROOT / "bench" / "work") / "scale-milvus"
    servers = iter([(uri, None)]) if uri else _server(data)
    out: list[dict[str, Any]] = []
    try:
        server_uri, pid = next(servers)
        results.mkdir(parents=True, exist_ok=True)
        for n in sizes:

            def save(block: dict[str, Any]) -> None:
                publish(
                    results, "scale_milvus", {"run": run.facts(), "sizes": [*out, block]}, render
                )

            out.append(bench_size(server_uri, pool, n, indexes, pid, None if uri else data, save))
            publish(results, "scale_milvus", {"run": run.facts(), "sizes": out}, render)
    finally:
        for _ in servers:  # stops the server the generator started
            pass
    return results / "scale_milvus.md"
