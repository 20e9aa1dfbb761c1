"""The application object: settings + catalogue + store + descriptor, usable from Python.

The CLI and the HTTP server are thin layers over this (as datasette's are over its app), so
everything they do can be done, and tested, without either.

    from sabi.app import Sabi
    with Sabi.open(data_dir="lib") as sabi:
        sabi.index([Path("~/anime/Frieren").expanduser()], show="Frieren", tag="frieren")
        print(sabi.search(Path("shot.png").read_bytes()).as_json())
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sabi.catalog import Catalog
from sabi.describe import make_embedder
from sabi.describe.base import Embedder
from sabi.errors import BadInput, ConfigError, DescriptorMismatch, NoIndex
from sabi.locks import write_lock
from sabi.pipeline.export import ExportReport, export_library
from sabi.pipeline.indexer import Indexer, Progress, RunReport, Source
from sabi.pipeline.precomputed import EpisodeVectors, add_episodes, read_vector_file
from sabi.pipeline.queue import EnqueueReport, JobQueue, QueueStatus, files_of
from sabi.pipeline.worker import JobOutcome, Worker, WorkReport
from sabi.search.breakdown import break_down
from sabi.search.models import SearchResponse, ShotsResponse
from sabi.search.searcher import Filters, Searcher
from sabi.settings import Settings, find_config, load_settings
from sabi.store import VectorStore, open_store


def load_config(config: Path | None = None, **overrides: Any) -> Settings:
    """``load_settings``, with a bad file or value reported as a ConfigError naming the key."""
    try:
        return load_settings(config, **overrides)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{find_config(config)}: not valid TOML ({exc})") from None
    except ValidationError as exc:
        errors = exc.errors()
        path = find_config(config)
        keys = tomllib.loads(path.read_text()).keys() if path is not None else set()
        in_file = any(e["loc"] and str(e["loc"][0]) in keys for e in errors)
        raise ConfigError.from_validation(errors, str(path) if in_file else "") from None


@dataclass(frozen=True)
class ShowCount:
    id: int
    title: str
    tag: str | None
    episodes: int  # indexed ones: failed and unfinished files are not counted


@dataclass(frozen=True)
class Stats:
    """What is indexed. ``shows`` counts the shows listed in ``show_list`` (those with an
    indexed episode); ``failed`` counts files that failed, which belong to no show's count."""

    shows: int
    episodes: int
    frames: int
    stored_vectors: int
    hours: float
    failed: int
    index_bytes: int
    descriptor: str | None
    store: str
    show_list: tuple[ShowCount, ...] = ()
    failed_files: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Sabi:
    def __init__(self, settings: Settings, *, create: bool = True):
        self.settings = settings
        if create:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        elif not _index_exists(settings):
            raise NoIndex(f"no index at {settings.data_dir} (run `sabi index` first)")
        self.catalog = Catalog(settings.database)

    @classmethod
    def open(cls, config: Path | None = None, *, create: bool = True, **overrides: Any) -> Sabi:
        """Open the data directory the settings name. ``create=False`` is for commands that
        only look (search, stats) or have nothing to do without an index: they get NoIndex
        instead of a new, empty data directory where a path was mistyped."""
        return cls(load_config(config, **overrides), create=create)

    def __enter__(self) -> Sabi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @cached_property
    def embedder(self) -> Embedder:
        return make_embedder(self.settings)

    @cached_property
    def store(self) -> VectorStore:
        # The recorded dim lets read-only commands (stats) open the store without the model.
        dim = self.catalog.get_meta("dim")
        return open_store(self.settings, int(dim) if dim else self.embedder.dim)

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.settings, self.catalog, self.store, self.embedder)

    @cached_property
    def indexer(self) -> Indexer:
        return Indexer(self.settings, self.catalog, self.store, self.embedder)

    def index(
        self,
        targets: list[Path],
        *,
        show: str | None = None,
        tag: str | None = None,
        episode: float | None = None,
        link: str | None = None,
        progress: Progress | None = None,
        threaded: bool = True,
    ) -> RunReport:
        source = Source(show=show, tag=tag, episode=episode, link=link)
        return self.indexer.run(targets, source, progress=progress, threaded=threaded)

    def enqueue(
        self,
        targets: list[Path],
        *,
        show: str | None = None,
        tag: str | None = None,
        episode: float | None = None,
        link: str | None = None,
    ) -> EnqueueReport:
        """Put each video file under ``targets`` on the job queue for ``sabi worker`` (a file
        already queued is not added twice)."""
        files = files_of(targets, show)
        if episode is not None and len(files) > 1:
            raise BadInput("an episode number applies to a single file")
        return JobQueue(self.catalog).enqueue(files, tag=tag, episode=episode, link=link)

    def worker(self, on_job: Callable[[JobOutcome], None] | None = None) -> Worker:
        """A queue worker on this library (``work`` runs one)."""
        return Worker(self.settings, self.catalog, self.store, self.embedder, on_job=on_job)

    def work(self, *, once: bool = False, max_jobs: int | None = None) -> WorkReport:
        """Index jobs from the queue until stopped (``once``: until it is drained)."""
        return self.worker().run(once=once, max_jobs=max_jobs)

    def queue_status(self) -> QueueStatus:
        return JobQueue(self.catalog).status()

    def add_vectors(
        self, items: Iterable[EpisodeVectors], *, descriptor: str | None = None
    ) -> list[int]:
        """Add episodes from precomputed frame vectors (no video is decoded); returns their
        ids. ``descriptor`` names what made the vectors; it must be the configured one, since
        queries are described by it. An episode added again (same ``path``) is replaced."""
        name, dim = self.embedder.name, self.embedder.dim
        if descriptor is not None and descriptor != name:
            raise DescriptorMismatch(
                f"these vectors were made by {descriptor!r}, but {name!r} is configured "
                f"(set descriptor = {descriptor!r})"
            )
        lock = write_lock(self.settings.data_dir)
        try:
            self.indexer.reconcile()
            return add_episodes(self.catalog, self.store, name, dim, items)
        finally:
            self.store.flush()
            lock.release()

    def export(self, path: Path, *, show: str | None = None) -> ExportReport:
        """Write the library (or one show, by title) to a vector file that ``import_file``
        adds to another library, whatever its store: no video is decoded either way. A
        reader's job: it takes no lock and runs beside searches and indexing."""
        return export_library(self.catalog, self.store, path, show=show)

    def import_file(self, path: Path) -> tuple[list[int], int]:
        """Add every episode of a vector file (``export``'s or any docs/vectors.md file) with
        the facts it carries; returns (episode ids, frames)."""
        vf = read_vector_file(path)
        return self.add_vectors(vf.items(), descriptor=vf.descriptor), vf.frames

    def search(
        self,
        data: bytes,
        *,
        cut_borders: bool | None = None,
        show: str | None = None,
        show_id: int | None = None,
        tag: str | None = None,
        limit: int | None = None,
        cancel: Callable[[], bool] | None = None,
        deadline: float | None = None,
        exact: bool | None = None,
    ) -> SearchResponse:
        """``cancel`` (called between decoded frames; true stops with QueryCancelled) and
        ``deadline`` (a ``time.monotonic()`` value) bound the query's decoding. ``exact`` (None:
        the ``exact_at`` setting) names the exact frame from the source video where it is at
        hand, instead of the best sampled one."""
        return self.searcher.search_bytes(
            data,
            cut_borders=cut_borders,
            filters=Filters(show=show, show_id=show_id, tag=tag),
            limit=limit,
            cancel=cancel,
            deadline=deadline,
            exact=exact,
        )

    def shots(
        self,
        data: bytes,
        *,
        limit_seconds: float | None = None,
        cut_borders: bool | None = None,
        show: str | None = None,
        show_id: int | None = None,
        tag: str | None = None,
        cancel: Callable[[], bool] | None = None,
        deadline: float | None = None,
    ) -> ShotsResponse:
        """A whole clip broken down into its shots, each with the scene it comes from.

        A clip longer than ``limit_seconds`` (None: the setting ``max_shots_seconds``) is
        refused with TooLarge; ``cancel`` and ``deadline`` bound decoding as in ``search``."""
        return break_down(
            self.searcher,
            data,
            max_seconds=limit_seconds,
            cut_borders=cut_borders,
            filters=Filters(show=show, show_id=show_id, tag=tag),
            cancel=cancel,
            deadline=deadline,
        )

    def remove(
        self,
        *,
        show: str | None = None,
        show_id: int | None = None,
        episode_id: int | None = None,
        tag: str | None = None,
    ) -> int:
        """Remove the episodes selected (a show by title or id, a tag, an episode id); returns
        how many. Nothing selected takes no lock and removes nothing."""
        if show is None and show_id is None and episode_id is None and tag is None:
            raise BadInput("say what to remove: a show, a tag or an episode id")
        ids = self.catalog.select_episodes(
            show=show, show_id=show_id, episode_id=episode_id, tag=tag, indexed_only=False
        )
        if not ids:
            return 0
        lock = write_lock(self.settings.data_dir)
        try:
            return self.indexer.remove(ids)
        finally:
            lock.release()

    def stats(self) -> Stats:
        c = self.catalog.stats()
        descriptor = self.catalog.get_meta("descriptor")
        stored = self.store.count() if descriptor is not None else 0
        size = self.store.size_bytes() if descriptor is not None else 0
        shows = tuple(ShowCount(*row) for row in self.catalog.shows())
        failed = self.catalog.views(self.catalog.ids_with_status("failed"))
        return Stats(
            shows=len(shows),
            episodes=c.episodes,
            frames=c.frames,
            stored_vectors=stored,
            hours=c.duration / 3600,
            failed=c.failed,
            index_bytes=size,
            descriptor=descriptor,
            store=self.settings.store,
            show_list=shows,
            failed_files=tuple(sorted(v.path for v in failed.values())),
        )

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
        self.catalog.close()


def _index_exists(settings: Settings) -> bool:
    """Whether there is a catalogue to open. Only a SQLite file can be checked without
    connecting; a server database (PostgreSQL) is taken to exist."""
    prefix = "sqlite:///"
    if not settings.database.startswith(prefix):
        return True
    return Path(settings.database.removeprefix(prefix)).is_file()
