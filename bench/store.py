"""The embedded store at library scale, as shipped: build, open, memory, disk, recall, end to end.

Each library holds the benchmark corpus indexed by the real pipeline (so real screenshots have
real answers) plus synthetic episodes (``bench.synth``) added through ``Sabi.add_vectors``,
the documented precomputed-vectors path, in show order. Every measurement runs in a fresh
process with the shipped settings, and memory is read in that process (/proc/self/status).

Queries are the accuracy benchmark's screenshots (seed 7): the even-numbered frames tune
(``rerank`` sweep), the odd-numbered ones report. This module measures and writes JSON;
``store_report`` turns it into Markdown.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.common import ROOT, BenchPaths, RunInfo, dir_bytes, rss_mib, run_child, say

if TYPE_CHECKING:
    from bench.synth import Model
    from sabi.settings import Settings

DESCRIPTOR = "sscd_distilled"
VERSION = 2
SEED = 11
RERANK_SWEEP = (1000, 2000, 4000, 8000)


def _settings(data_dir: Path, **overrides: Any) -> Settings:
    from sabi.settings import Settings

    return Settings(data_dir=data_dir, descriptor=DESCRIPTOR, **overrides)


def _model(pool: Path) -> Model:
    from bench.pool import fitted_model

    return fitted_model(pool)


def synthetic_items(pool: Path, frames: int) -> Iterator[Any]:
    """Synthetic episodes as precomputed-vector items, 12 episodes a show, in show order."""
    from bench.synth import EPISODES_PER_SHOW, Collection
    from sabi.pipeline.precomputed import EpisodeVectors

    for i, v, s, e in Collection(_model(pool), seed=SEED).episodes(frames):
        yield EpisodeVectors(
            show=f"Synthetic show {i // EPISODES_PER_SHOW + 1:03d}",
            vectors=v,
            starts=s,
            ends=e,
            episode=float(i % EPISODES_PER_SHOW + 1),
            filename=f"synthetic {i:04d}.mkv",
            path=f"synthetic://{i}",
        )


def _memory() -> dict[str, float]:
    return {"rss_mib": rss_mib(), "peak_rss_mib": rss_mib(key="VmHWM")}


# ----- child: build a library of n frames


def child_build(a: dict[str, Any]) -> dict[str, Any]:
    from bench.corpus import DISTRACTOR_SHOW
    from sabi.app import Sabi

    data_dir = Path(a["data_dir"])
    shutil.rmtree(data_dir, ignore_errors=True)
    sabi = Sabi(_settings(data_dir, **a.get("params", {})))
    # The real corpus through the real pipeline; the vectors it stores are kept (float32) so
    # the recall child can compare with exact search over what was really added.
    store, kept = sabi.store, []
    add = store.add

    def tee(
        episode_id: int,
        vectors: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        *,
        show_id: int | None = None,
    ) -> None:
        kept.append((episode_id, np.array(vectors, np.float32), np.array(starts, np.float32)))
        add(episode_id, vectors, starts, ends, show_id=show_id)

    store.add = tee  # type: ignore[method-assign]
    t0 = time.perf_counter()
    shows = [sabi.index([Path(folder)], show=title) for title, folder in a["show_dirs"]]
    sabi.index([Path(a["distractor_dir"])], show=DISTRACTOR_SHOW)
    store.add = add  # type: ignore[method-assign]
    real_frames = sabi.stats().frames
    t_real = time.perf_counter() - t0
    t1 = time.perf_counter()
    ids = sabi.add_vectors(synthetic_items(Path(a["pool"]), a["n"] - real_frames))
    t_add = time.perf_counter() - t1
    t2 = time.perf_counter()
    count = sabi.store.count()  # a server: every row searchable (its index built) by now
    t_ready = time.perf_counter() - t2
    sabi.close()
    np.savez(
        data_dir / "bench-real.npz",
        episodes=np.concatenate([np.full(len(v), ep) for ep, v, _ in kept]),
        starts=np.concatenate([s for _, _, s in kept]),
        vectors=np.concatenate([v for _, v, _ in kept]),
        synthetic_ids=np.array(ids),
    )
    indexed = [r for show in shows for r in show.results if r.status == "indexed"]
    show_seconds = sum(r.duration for r in indexed)
    show_frames = sum(r.frames for r in indexed)
    faiss_dir = data_dir / "faiss"
    return {
        "n": a["n"],
        "real_frames": real_frames,
        "build_real_s": t_real,
        "build_synthetic_s": t_add,
        "synthetic_frames_per_s": (a["n"] - real_frames) / t_add,
        "ready_s": t_ready,
        "stored": count,
        "show_frames_per_hour": show_frames / show_seconds * 3600,
        "bytes_total": dir_bytes(data_dir) - (data_dir / "bench-real.npz").stat().st_size,
        "bytes_segments": dir_bytes(faiss_dir / "segments"),
        "bytes_cache": sum(p.stat().st_size for p in faiss_dir.glob("pq-*.faiss"))
        + sum(p.stat().st_size for p in faiss_dir.glob("cache.json")),
        "bytes_sql": (data_dir / "sabi.db").stat().st_size,
        **_memory(),
    }


# ----- child: end-to-end searches (image bytes -> JSON)


def child_e2e(a: dict[str, Any]) -> dict[str, Any]:
    from bench.accuracy import score
    from bench.queries import Query
    from sabi.app import Sabi
    from sabi.prepare.query import load_query, prepare_query_frames

    queries = [Query(**{**q, "path": Path(q["path"])}) for q in a["queries"]]
    base = rss_mib()
    sabi = Sabi(_settings(Path(a["data_dir"]), **a.get("params", {})))
    t0 = time.perf_counter()
    sabi.store  # noqa: B018 - the store alone: segments + cached PQ
    open_store_s = time.perf_counter() - t0
    sabi.searcher  # noqa: B018 - and the model
    open_s = time.perf_counter() - t0
    warm = queries[0].path.read_bytes()
    for _ in range(3):
        sabi.search(warm)
    rss_open = rss_mib()
    latencies, outcomes = [], []
    for q in queries:
        data = q.path.read_bytes()
        t = time.perf_counter()
        answer = sabi.search(data).as_json()
        latencies.append(time.perf_counter() - t)
        outcomes.append(score(q, answer["result"], latencies[-1]))
    s, emb, store = sabi.settings, sabi.embedder, sabi.store
    parts: dict[str, list[float]] = {k: [] for k in ("load", "prepare", "embed", "ann", "total")}
    for q in queries[::4]:  # the searcher's steps timed one by one
        data = q.path.read_bytes()
        t = time.perf_counter()
        frames = load_query(data, sabi.searcher.limits)
        t_load = time.perf_counter()
        frames = prepare_query_frames(frames, s.resolution, s.cut_borders, s.black_level)
        t_prep = time.perf_counter()
        views = [f.rgb for f in frames] + ([f.rgb[:, ::-1] for f in frames] if s.mirror else [])
        vectors = emb.embed(views)
        t_emb = time.perf_counter()
        store.search(vectors, s.top_k)
        t_ann = time.perf_counter()
        sabi.search(data).as_json()
        parts["load"].append(t_load - t)
        parts["prepare"].append(t_prep - t_load)
        parts["embed"].append(t_emb - t_prep)
        parts["ann"].append(t_ann - t_emb)
        parts["total"].append(time.perf_counter() - t_ann)
    memory = _memory()
    sabi.close()
    return {
        "open_store_s": open_store_s,
        "open_s": open_s,
        "rss_before_open_mib": base,
        "rss_open_mib": rss_open,
        **memory,
        "latency_ms": [x * 1000 for x in latencies],
        "families": [q.family for q in queries],
        "formats": [q.path.suffix for q in queries],
        "top1_episode": [o.top1_episode for o in outcomes],
        "top1_time": [o.top1_time for o in outcomes],
        "top1_range": [o.top1_range for o in outcomes],
        "parts_ms": {k: [x * 1000 for x in v] for k, v in parts.items()},
    }


# ----- child: the store step alone against exact float32 search


def exact_top(
    base: np.ndarray, queries: np.ndarray, k: int = 10, step: int = 200_000
) -> np.ndarray:
    """Row numbers of the exact top k by inner product, computed in chunks of ``step`` rows
    of the base (a chunk's similarities are queries x step floats)."""
    best_s = np.full((len(queries), k), -np.inf, np.float32)
    best_i = np.zeros((len(queries), k), np.int64)
    for lo in range(0, len(base), step):
        sims = queries @ base[lo : lo + step].T
        top = np.argpartition(-sims, min(k, sims.shape[1] - 1), axis=1)[:, :k]
        s = np.take_along_axis(sims, top, axis=1)
        all_s = np.concatenate([best_s, s], axis=1)
        all_i = np.concatenate([best_i, top + lo], axis=1)
        order = np.argsort(-all_s, axis=1)[:, :k]
        best_s = np.take_along_axis(all_s, order, axis=1)
        best_i = np.take_along_axis(all_i, order, axis=1)
    return best_i


def store_quality(
    store: Any,
    queries: np.ndarray,
    truth_keys: list[list[tuple[int, float]]],
    k: int,
    stored_keys: list[list[tuple[int, float]]] | None = None,
) -> dict[str, Any]:
    """recall@10, nearest missed, top-1 frame/episode agreement and latency of store.search,
    one query at a time (as the searcher calls it). ``stored_keys``: the exact top 10 over
    the vectors as stored (int8), which separates the index's loss from the rounding's."""
    recall, missed, same_frame, same_episode, latency, stored = [], [], [], [], [], []
    for i, (q, truth) in enumerate(zip(queries, truth_keys, strict=True)):
        t = time.perf_counter()
        hits = store.search(q[None], k)[0]
        latency.append((time.perf_counter() - t) * 1000)
        got = [(h.episode_id, round(h.start, 3)) for h in hits[:10]]
        recall.append(len(set(got) & set(truth)) / len(truth))
        missed.append(truth[0] not in got)
        same_frame.append(bool(got) and got[0] == truth[0])
        same_episode.append(bool(got) and got[0][0] == truth[0][0])
        if stored_keys is not None:
            stored.append(len(set(got) & set(stored_keys[i])) / len(stored_keys[i]))
    return {
        "recall10_stored": stored,
        "recall10": recall,
        "missed": missed,
        "same_frame": same_frame,
        "same_episode": same_episode,
        "latency_ms": latency,
    }


def child_recall(a: dict[str, Any]) -> dict[str, Any]:
    from sabi.store.faiss_store import FaissParams, FaissStore

    data_dir = Path(a["data_dir"])
    settings = _settings(data_dir, **a.get("params", {}))
    with np.load(data_dir / "bench-real.npz") as z:
        real_v, real_ep, real_t = z["vectors"], z["episodes"], z["starts"]
        synthetic_ids = z["synthetic_ids"]
    # Every added vector in float32, filled in place (8 GB at 4M frames; no second copy).
    total = max(a["n"], len(real_v))
    base = np.empty((total, real_v.shape[1]), np.float32)
    base[: len(real_v)] = real_v
    keys = [(int(ep), round(float(t), 3)) for ep, t in zip(real_ep, real_t, strict=True)]
    at = len(real_v)
    items = synthetic_items(Path(a["pool"]), a["n"] - len(real_v))
    for ep, it in zip(synthetic_ids.tolist(), items, strict=True):
        base[at : at + len(it.vectors)] = it.vectors
        at += len(it.vectors)
        keys += [(ep, round(float(t), 3)) for t in it.starts]
    base = base[:at]
    with np.load(a["pool"]) as z:
        real_queries = z["queries"][a["report_pos"]]  # the report split
        tune = z["queries"][a["tune_pos"]]  # the tuning split (the rerank choice)
        edit_deltas = z["edit_deltas"]
    rng = np.random.default_rng(3)
    picks = rng.integers(len(real_v), len(base), 500)
    synthetic = base[picks] + edit_deltas[rng.integers(0, len(edit_deltas), 500)]
    synthetic /= np.linalg.norm(synthetic, axis=1, keepdims=True)
    queries = np.concatenate([real_queries, synthetic, tune]).astype(np.float32)
    truth_keys = [[keys[i] for i in row] for row in exact_top(base, queries)]
    report = len(real_queries) + len(synthetic)
    stored_keys = None
    if settings.store == "faiss":  # exact search over the int8 codes the store keeps
        from sabi.store.codec import decode, default_scale, encode

        scale = default_scale(base.shape[1])
        for lo in range(0, len(base), 200_000):
            base[lo : lo + 200_000] = decode(encode(base[lo : lo + 200_000], scale), scale)
        stored_keys = [[keys[i] for i in row] for row in exact_top(base, queries[:report])]
    del base
    out: dict[str, Any] = {"real_queries": len(real_queries), "sweep": {}, "tune": {}}
    if settings.store != "faiss":  # one configuration, the settings' (stated in the report)
        from sabi.store import open_store

        t = time.perf_counter()
        store = open_store(settings, 512)
        opened = time.perf_counter() - t
        out["sweep"]["shipped"] = {
            "open_s": opened,
            **store_quality(store, queries[:report], truth_keys[:report], settings.top_k),
        }
        store.close()
        return {**out, **_memory()}
    for rerank in a["reranks"]:
        p = FaissParams(exact_below=settings.exact_below, rerank=rerank, pq_bytes=settings.pq_bytes)
        t = time.perf_counter()
        store = FaissStore(data_dir / "faiss", 512, p)
        opened = time.perf_counter() - t
        for q in queries[:5]:
            store.search(q[None], settings.top_k)
        out["sweep"][rerank] = {
            "open_s": opened,
            **store_quality(
                store, queries[:report], truth_keys[:report], settings.top_k, stored_keys
            ),
        }
        out["tune"][rerank] = store_quality(
            store, queries[report:], truth_keys[report:], settings.top_k
        )
        del store
    out.update(_memory())
    return out


# ----- child: recall as a library grows show by show, then shrinks


def child_growth(a: dict[str, Any]) -> dict[str, Any]:
    """Real pool frames as the first show, then synthetic shows; after each tenth of the
    library, the store against exact search over what it holds. ``legacy``: the HNSW store
    of the previous release, loaded from git, for the 'before' column."""
    from bench.synth import EPISODES_PER_SHOW, Collection

    root = Path(tempfile.mkdtemp(prefix="sabi-growth-"))
    store = _growth_store(root, a.get("legacy"))
    with np.load(a["pool"]) as z:
        pool, sources = z["vectors"], z["sources"]
        real_queries = z["queries"][a["report_pos"]].astype(np.float32)
        edit_deltas = z["edit_deltas"]
    n = a["n"]
    episodes: list[tuple[int, int, np.ndarray, np.ndarray]] = []  # (id, show, vectors, starts)
    for src in np.unique(sources):
        v = pool[sources == src]
        episodes.append((int(1_000_000 + src), -1, v, 0.5 * np.arange(len(v), dtype=np.float32)))
    collection = Collection(_model(Path(a["pool"])), seed=SEED)
    for i, v, s, _ in collection.episodes(n - len(pool)):
        episodes.append((i, i // EPISODES_PER_SHOW, v, s))
    checkpoints = {int(n * k / 10) for k in range(1, 11)}
    rng = np.random.default_rng(4)
    rows = 0
    curve = []
    held: list[tuple[int, int, np.ndarray, np.ndarray]] = []

    def measure(label: str) -> None:
        base = np.concatenate([v for _, _, v, _ in held])
        keys = [(ep, round(float(t), 3)) for ep, _, v, s in held for t in s]
        picks = rng.integers(0, len(base), 300)
        syn = base[picks] + edit_deltas[rng.integers(0, len(edit_deltas), 300)]
        syn /= np.linalg.norm(syn, axis=1, keepdims=True)
        queries = np.concatenate([real_queries, syn]).astype(np.float32)
        truth = [[keys[i] for i in row] for row in exact_top(base, queries)]
        q = store_quality(store, queries, truth, 200)
        nr = len(real_queries)
        curve.append(
            {
                "label": label,
                "frames": len(base),
                "recall10_real": float(np.mean(q["recall10"][:nr])),
                "recall10_synthetic": float(np.mean(q["recall10"][nr:])),
                "missed_real": float(np.mean(q["missed"][:nr])),
                "top1_frame_real": float(np.mean(q["same_frame"][:nr])),
                "top1_episode_real": float(np.mean(q["same_episode"][:nr])),
                "top1_frame_synthetic": float(np.mean(q["same_frame"][nr:])),
                "p50_ms": float(np.median(q["latency_ms"])),
            }
        )
        say(f"growth: {curve[-1]}")

    t0 = time.perf_counter()
    for ep, show, v, s in episodes:
        store.add(ep, v, s, s + 0.5)
        held.append((ep, show, v, s))
        before, rows = rows, rows + len(v)
        if any(before < c <= rows for c in checkpoints):
            measure(f"{round(10 * rows / n)}/10 added")
    build_s = time.perf_counter() - t0
    gone = {ep for ep, show, _, _ in held if show >= 0 and show % 5 == 0}
    for ep in gone:
        store.delete(ep)
    held = [e for e in held if e[0] not in gone]
    measure("a fifth of the shows removed")
    store.close()
    shutil.rmtree(root, ignore_errors=True)
    return {"curve": curve, "build_s": build_s, **_memory()}


def _growth_store(root: Path, legacy: str | None) -> Any:
    if not legacy:
        from sabi.store import open_store

        return open_store(_settings(root), 512)
    # The previous release's store, as it shipped (HNSW M=32, efC=80, ef_search=800).
    sys.path.insert(0, legacy)
    from sabi_legacy.faiss_store import FaissParams, FaissStore  # type: ignore[import-not-found]

    params = FaissParams(hnsw_m=32, ef_construction=80, ef_search=800, exact_below=50_000)
    return FaissStore(root / "faiss", 512, params)


def legacy_package(work: Path, commit: str = "38cd571") -> Path:
    """The HNSW-era store module from git history, importable as ``sabi_legacy``."""
    import subprocess

    out = work / "legacy"
    pkg = out / "sabi_legacy"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    for name in ("faiss_store", "segments"):
        text = subprocess.run(
            ["git", "show", f"{commit}:src/sabi/store/{name}.py"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        text = text.replace("from sabi.store.segments import", "from sabi_legacy.segments import")
        (pkg / f"{name}.py").write_text(text)
    return out


# ----- orchestration

CHILDREN = {
    "build": child_build,
    "e2e": child_e2e,
    "recall": child_recall,
    "growth": child_growth,
}


def child_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=list(CHILDREN))
    p.add_argument("args", type=Path)
    p.add_argument("out", type=Path)
    a = p.parse_args(argv)
    result = CHILDREN[a.mode](json.loads(a.args.read_text()))
    a.out.write_text(json.dumps(result))


def _child(mode: str, args: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps(args, default=str))
        wall, _, code = run_child([sys.executable, "-m", "bench.store", mode, str(inp), str(out)])
        if code:
            raise RuntimeError(f"benchmark child {mode} failed ({code})")
        result: dict[str, Any] = json.loads(out.read_text())
    result["process_wall_s"] = wall
    return result


def bench_store(
    paths: BenchPaths,
    *,
    sizes: list[int],
    growth: int,
    legacy: bool,
    rebuild: bool,
    milvus: dict[str, Any] | None = None,
) -> Path:
    from bench.corpus import build_corpus
    from bench.markdown import publish
    from bench.pool import real_pool
    from bench.queries import make_queries
    from bench.store_report import render

    info = RunInfo()
    corpus = build_corpus(paths)
    queries = make_queries(paths, corpus, 8 if paths.quick else 40, 7)
    pool = real_pool(paths, corpus, queries)
    report_queries = [asdict(q) for q in queries if q.index % 2 == 1]
    split = {
        "report_pos": [i for i, q in enumerate(queries) if q.index % 2 == 1],
        "tune_pos": [i for i, q in enumerate(queries) if q.index % 2 == 0],
    }
    per_size: dict[int, dict[str, Any]] = {}
    for n in sizes:
        data_dir = paths.work / "store" / f"library-{n}{'-quick' if paths.quick else ''}"
        recipe = {"v": VERSION, "n": n, "pool": str(pool), "seed": SEED}
        marker = data_dir.with_suffix(".json")
        if rebuild or not (marker.is_file() and json.loads(marker.read_text())["recipe"] == recipe):
            say(f"store: building a {n:,}-frame library")
            marker.unlink(missing_ok=True)
            build = _child(
                "build",
                {
                    "data_dir": str(data_dir),
                    "n": n,
                    "pool": str(pool),
                    "show_dirs": [[k, str(v)] for k, v in corpus.show_dirs.items()],
                    "distractor_dir": str(corpus.distractor_dir),
                },
            )
            marker.write_text(json.dumps({"recipe": recipe, "build": build}))
        build = json.loads(marker.read_text())["build"]
        say(f"store: {n:,} frames: end to end, shipped settings")
        e2e = _child("e2e", {"data_dir": str(data_dir), "queries": report_queries})
        if n == 0:  # the corpus alone: the baseline of the end-to-end tables
            per_size[n] = {"build": build, "e2e": e2e}
            continue
        say(f"store: {n:,} frames: store step against exact search")
        recall = _child(
            "recall",
            {
                "data_dir": str(data_dir),
                "pool": str(pool),
                "n": n,
                "reranks": RERANK_SWEEP,
                **split,
            },
        )
        per_size[n] = {"build": build, "e2e": e2e, "recall": recall}
    milvus_runs = {}
    if milvus:
        for n in milvus["sizes"]:
            milvus_runs[n] = _milvus(paths, n, milvus, corpus, pool, report_queries, split)
    curves = {}
    if growth:
        say(f"store: growth curve to {growth:,} frames")
        curves["this store"] = _child("growth", {"pool": str(pool), "n": growth, **split})
        if legacy:
            say("store: growth curve of the HNSW-era store")
            pkg = legacy_package(paths.work)
            curves["HNSW store (previous release)"] = _child(
                "growth", {"pool": str(pool), "n": growth, "legacy": str(pkg), **split}
            )
    data = {
        "run": info.facts(),
        "settings": shipped_settings(),
        "sizes": {str(n): r for n, r in per_size.items()},
        "growth": curves,
        "milvus": {str(n): r for n, r in milvus_runs.items()},
    }
    return publish(paths.results, "store", data, render)


SETTINGS_STATED = (
    "exact_below",
    "rerank",
    "pq_bytes",
    "top_k",
    "mirror",
    "threads",
    "hnsw_m",
    "hnsw_ef_construction",
    "hnsw_ef_search",
)


def shipped_settings() -> dict[str, Any]:
    """The shipped defaults the report states (every child runs with them)."""
    from sabi.settings import Settings

    s = Settings.model_validate({})
    return {name: getattr(s, name) for name in SETTINGS_STATED}


def milvus_params() -> dict[str, Any]:
    """The Milvus settings the benchmark states (the shipped defaults of those settings)."""
    s = shipped_settings()
    return {k: s[k] for k in ("hnsw_m", "hnsw_ef_construction", "hnsw_ef_search")}


def _milvus(
    paths: BenchPaths,
    n: int,
    server: dict[str, Any],
    corpus: Any,
    pool: Path,
    report_queries: list[dict[str, Any]],
    split: dict[str, Any],
) -> dict[str, Any]:
    """The same library, build, end-to-end and recall measurements on a Milvus server."""
    data_dir = paths.work / "store" / f"milvus-{n}"
    params = {
        "store": "milvus",
        "milvus_uri": server["uri"],
        "milvus_collection": f"bench_{n}_{int(time.time())}",
    }
    say(f"store: Milvus server: building a {n:,}-frame library ({milvus_params()})")
    build = _child(
        "build",
        {
            "data_dir": str(data_dir),
            "n": n,
            "pool": str(pool),
            "params": params,
            "show_dirs": [[k, str(v)] for k, v in corpus.show_dirs.items()],
            "distractor_dir": str(corpus.distractor_dir),
        },
    )
    build["server_rss_mib"] = rss_mib(server["pid"]) if server.get("pid") else None
    build["server_disk_bytes"] = dir_bytes(Path(server["data"])) if server.get("data") else None
    say(f"store: Milvus server, {n:,} frames: end to end")
    e2e = _child("e2e", {"data_dir": str(data_dir), "queries": report_queries, "params": params})
    say(f"store: Milvus server, {n:,} frames: store step against exact search")
    recall = _child(
        "recall",
        {
            "data_dir": str(data_dir),
            "pool": str(pool),
            "n": n,
            "reranks": [],
            "params": params,
            **split,
        },
    )
    server_rss = rss_mib(server["pid"]) if server.get("pid") else None
    return {"build": build, "e2e": e2e, "recall": recall, "server_rss_mib": server_rss}


if __name__ == "__main__":
    child_main(sys.argv[1:])
