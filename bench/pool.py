"""The real vectors the benchmarks' synthetic libraries are fitted to, and the query embeddings.

Cached in bench/work as one .npz: frame vectors of every corpus video at 2 per second, their
consecutive differences, and the accuracy queries' embeddings (no mirror).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.common import BenchPaths, say

if TYPE_CHECKING:
    from bench.corpus import Corpus
    from bench.queries import Query
    from bench.synth import Model
    from sabi.settings import Settings

DESCRIPTOR = "sscd_distilled"
VERSION = 1


def _settings(data_dir: Path, **overrides: Any) -> Settings:
    from sabi.settings import Settings

    return Settings(data_dir=data_dir, descriptor=DESCRIPTOR, **overrides)


def real_pool(paths: BenchPaths, corpus: Corpus, queries: Sequence[Query]) -> Path:
    """Real frame vectors (2 fps, every corpus video), their consecutive differences, and the
    embeddings of the accuracy queries (no mirror), cached in one .npz."""
    from bench.queries import edits_version
    from sabi.app import Sabi
    from sabi.prepare.decode import probe_crop, sample_frames
    from sabi.prepare.query import load_query, prepare_query_frames

    out = paths.work / "scale" / f"real-{'quick' if paths.quick else 'full'}.npz"
    recipe = json.dumps([VERSION, edits_version(), len(queries), corpus.distractor_seconds])
    if out.is_file():
        with np.load(out) as z:
            if str(z["recipe"]) == recipe:
                return out
    out.parent.mkdir(parents=True, exist_ok=True)
    say("scale: embedding the real pool and the queries")
    with tempfile.TemporaryDirectory() as tmp, Sabi(_settings(Path(tmp))) as sabi:
        s, emb = sabi.settings, sabi.embedder
        dirs = [*corpus.show_dirs.values(), corpus.distractor_dir]
        videos = [v for d in dirs for v in sorted(d.glob("*.mp4"))]
        vectors, sources, deltas, consecutive = [], [], [], []
        for i, video in enumerate(videos):
            crop = probe_crop(video, s.resolution, s.black_level)
            frames = [f.rgb for f in sample_frames(video, 2.0, s.resolution, crop)]
            v = np.concatenate([emb.embed(frames[j : j + 32]) for j in range(0, len(frames), 32)])
            vectors.append(v)
            sources.append(np.full(len(v), i))
            deltas.append(v[1:] - v[:-1])
            consecutive.append(np.sum(v[1:] * v[:-1], axis=1))
        qv = []
        for q in queries:
            f = prepare_query_frames(
                load_query(q.path.read_bytes()), s.resolution, s.cut_borders, s.black_level
            )
            qv.append(emb.embed([f[0].rgb])[0])
    qv_arr = np.array(qv, np.float32)
    # Edit deltas: each query's vector minus its unedited ("none") version of the same frame.
    none = {q.index: i for i, q in enumerate(queries) if q.family == "none"}
    edit_deltas = np.array(
        [qv_arr[i] - qv_arr[none[q.index]] for i, q in enumerate(queries) if q.family != "none"]
    )
    np.savez(
        out,
        recipe=np.array(recipe),
        vectors=np.concatenate(vectors),
        sources=np.concatenate(sources),
        deltas=np.concatenate(deltas),
        consecutive=np.concatenate(consecutive),
        queries=qv_arr,
        edit_deltas=edit_deltas,
    )
    return out


def fitted_model(pool: Path) -> Model:
    """The synthetic-frame model fitted to the pool's real vectors."""
    from bench.synth import Model

    with np.load(pool) as z:
        return Model.fit(z["vectors"], z["deltas"])
