"""Export a library (or one show) to a vector file, to import it into another store or machine.

The file is the precomputed-vectors format (precomputed.py, docs/vectors.md) with every fact the
catalogue keeps about an episode that searching needs: show, tag, number, file name, path,
duration, link and shot changes. ``sabi import`` is ``add-vectors`` of that file, so moving a
library between the embedded store and Milvus + PostgreSQL decodes no video.

Each episode's vectors come from the store's ``vectors`` (the embedded store's int8 segments
decoded, Milvus's float32 rows) and go to the file before the next is read, so memory holds one
episode whatever the library's size. Nothing is written to the data directory: exporting is a
reader's job and runs beside searches and an index run (an episode indexed meanwhile may or may
not be in the file).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sabi.catalog import Catalog
from sabi.errors import NoIndex, NotFound
from sabi.pipeline.precomputed import EpisodeVectors, write_vector_file
from sabi.store.base import VectorStore

log = logging.getLogger(__name__)

VIEW_CHUNK = 500  # episode rows fetched per catalogue query


@dataclass(frozen=True)
class ExportReport:
    path: Path
    episodes: int
    frames: int
    descriptor: str


def library_items(
    catalog: Catalog, store: VectorStore, ids: list[int], skipped: list[int]
) -> Iterator[EpisodeVectors]:
    """The episodes ``ids`` with their stored vectors, in id order; an episode the store has
    no vectors for (removed meanwhile) is left out and its id added to ``skipped``."""
    ids = sorted(ids)
    for lo in range(0, len(ids), VIEW_CHUNK):
        views = catalog.views(ids[lo : lo + VIEW_CHUNK])
        for episode_id in ids[lo : lo + VIEW_CHUNK]:
            view = views.get(episode_id)
            vectors, starts, ends = store.vectors(episode_id)
            if view is None or len(vectors) == 0:
                log.warning("episode %d has no stored vectors now; left out", episode_id)
                skipped.append(episode_id)
                continue
            yield EpisodeVectors(
                show=view.show_title,
                vectors=vectors,
                starts=starts,
                ends=ends,
                episode=view.number,
                filename=view.filename,
                path=view.path,
                duration=view.duration,
                tag=view.show_tag,
                link=view.link,
                cuts=catalog.cuts(episode_id),
                samples=catalog.samples(episode_id, -math.inf, math.inf),
            )


def export_library(
    catalog: Catalog, store: VectorStore, path: Path, *, show: str | None = None
) -> ExportReport:
    """Write the indexed episodes (of ``show``, when given) to the vector file ``path``."""
    descriptor, dim = catalog.get_meta("descriptor"), catalog.get_meta("dim")
    if descriptor is None or dim is None:
        raise NoIndex("nothing is indexed yet: there is nothing to export")
    ids = catalog.select_episodes(show=show)
    if show is not None and not ids:
        raise NotFound(f"no indexed show titled {show!r}")
    skipped: list[int] = []
    frames = write_vector_file(
        path, descriptor, int(dim), library_items(catalog, store, ids, skipped)
    )
    return ExportReport(path, len(ids) - len(skipped), frames, descriptor)
