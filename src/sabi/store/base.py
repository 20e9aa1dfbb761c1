"""The vector-store contract: what the indexer and the searcher need, nothing more."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Hit:
    """One stored frame near a query: which episode, the frame's time span, its similarity."""

    episode_id: int
    start: float
    end: float
    score: float


class VectorStore(Protocol):
    """Frame vectors keyed by episode. Vectors are unit length; similarity is inner product.

    ``add`` is durable when it returns: an episode is marked indexed in SQL only after it.
    ``add``, ``delete`` and ``flush`` are for the holder of the data directory's write lock;
    any number of other processes may search at the same time.
    """

    dim: int

    def add(
        self,
        episode_id: int,
        vectors: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        *,
        show_id: int | None = None,
    ) -> None:
        """Store one episode's frames (replacing any it had). ``show_id`` is the episode's show,
        for stores that partition by show (Milvus); the others ignore it."""
        ...

    def delete(self, episode_id: int) -> None:
        """Forget an episode's frames; deleting an unknown episode is not an error."""
        ...

    def search(
        self,
        queries: np.ndarray,
        k: int,
        episodes: Collection[int] | None = None,
        *,
        shows: Collection[int] | None = None,
    ) -> list[list[Hit]]:
        """The k nearest frames for each query row, best first, optionally only from
        ``episodes``. ``shows``, when given, are the shows those episodes belong to: a hint for
        stores that can skip other shows' partitions (Milvus); ``episodes`` alone decides."""
        ...

    def vectors(self, episode_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """An episode's stored frames as (float32 vectors, starts, ends) in time order, empty
        for an unknown episode: what an export writes and an import adds again. A store that
        keeps vectors quantised (the embedded one keeps int8) returns them decoded."""
        ...

    def around(
        self, episode_id: int, lo: float, hi: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The episode's stored frames that start within [lo, hi], as ``vectors`` returns
        them: the few samples around a match, which place its moment between them
        (sabi.search.moment). Cheap: a search reads them for its best scenes."""
        ...

    def episode_ids(self) -> set[int]:
        """Episodes that have vectors stored (for reconciling with the SQL catalogue)."""
        ...

    def count(self) -> int:
        """Stored frames."""
        ...

    def size_bytes(self) -> int:
        """Space the store takes on disk (0 when it cannot tell, e.g. a remote server)."""
        ...

    def flush(self) -> None:
        """Make derived state durable (the end of a write run); a no-op for readers."""
        ...

    def close(self) -> None: ...


def check_batch(dim: int, vectors: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Shared argument checks for ``add``; returns contiguous float32 vectors."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != dim:
        raise ValueError(f"expected vectors of shape (n, {dim}), got {vectors.shape}")
    if len(starts) != len(vectors) or len(ends) != len(vectors):
        raise ValueError("starts/ends must have one entry per vector")
    return vectors
