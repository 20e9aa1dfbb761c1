"""The queue: seasons -> episodes -> stream URLs -> download -> MP4 -> index -> (remove).
With ``enqueue`` set, the MP4 goes on the indexing job queue instead, for ``sabi worker``.

Downloads run on ``concurrency`` worker threads (1 by default); the main thread indexes each MP4
as soon as it is ready, so the next download overlaps the indexing of the last. Every step is
recorded per episode (see models.py), so a rerun skips what is done, resumes partial files and
retries what failed, up to ``max_attempts`` runs.

    from sabi.acquire.bilibili.runner import open_bilibili, BilibiliRun
    sabi, cfg = open_bilibili(seed=Path("download_bilibili/setting.json"))
    with sabi:
        report = BilibiliRun(sabi, cfg).run()
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic_settings import EnvSettingsSource

from sabi.acquire.bilibili import SECTION, register
from sabi.acquire.bilibili.api import (
    BilibiliAPI,
    BilibiliError,
    EpisodeInfo,
    Part,
    Season,
    Stream,
    Throttled,
)
from sabi.acquire.bilibili.config import (
    BilibiliSettings,
    QueueItem,
    read_seed_records,
    read_seed_settings,
)
from sabi.acquire.bilibili.download import Cancelled, Downloader
from sabi.acquire.bilibili.mux import complete_mp4, mux_to_mp4, unreadable
from sabi.acquire.bilibili.progress import QuietUI
from sabi.acquire.bilibili.state import DownloadState, EpisodeRow
from sabi.app import Sabi, load_config
from sabi.errors import SabiError
from sabi.locks import DirLock
from sabi.pipeline.queue import JobQueue
from sabi.settings import Settings, settings_class

log = logging.getLogger(__name__)


def load_bilibili_settings(
    config: Path | None = None,
    seed: Path | None = None,
    *,
    sabi_overrides: dict[str, Any] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings with the [bilibili] table merged, lowest to highest: sabi.toml's table <
    the seed's setting.json < SABI_BILIBILI__* environment < ``overrides`` (CLI flags).

    The table's ``rate``/``resolution``, when set, become the sampling settings for the run.
    """
    register()
    settings = load_config(config, **(sabi_overrides or {}))
    values = settings.section(BilibiliSettings).model_dump()
    if seed is not None:
        values.update(read_seed_settings(seed))
        env = EnvSettingsSource(settings_class())().get(SECTION)
        if isinstance(env, dict) and env:
            from_env = BilibiliSettings.model_validate(env)
            values.update(from_env.model_dump(include=from_env.model_fields_set))
    values.update({k: v for k, v in overrides.items() if v is not None})
    cfg = BilibiliSettings.model_validate(values)
    # A copy, not a new validation: that would read the environment again, and its alias
    # spellings (SESSDATA, downloadPath) would clash with these field names.
    update: dict[str, Any] = {SECTION: cfg}
    if cfg.rate is not None:
        update["rate"] = cfg.rate
    if cfg.resolution is not None:
        update["resolution"] = cfg.resolution
    return settings.model_copy(update=update)


def open_bilibili(
    config: Path | None = None, seed: Path | None = None, **overrides: Any
) -> tuple[Sabi, BilibiliSettings]:
    settings = load_bilibili_settings(config, seed, **overrides)
    return Sabi(settings), settings.section(BilibiliSettings)


@dataclass
class Outcome:
    ep_id: int
    label: str
    status: str  # indexed | queued (for sabi worker) | done | skipped | failed
    reason: str | None = None
    note: str | None = None


@dataclass
class QueueReport:
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # seasons that could not be read
    seasons: dict[int, Season] = field(default_factory=dict)  # queue id -> what the API said
    imported: tuple[int, int] = (0, 0)
    wall: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0 and not self.problems


@dataclass(frozen=True)
class Item:
    ep: EpisodeInfo
    season: Season
    tag: str | None

    @property
    def label(self) -> str:
        n = f"{self.ep.number:g}" if self.ep.number is not None else self.ep.title
        return f"{self.season.title} {n}".strip()


def _unreachable(exc: BilibiliError) -> bool:
    """The API could not be asked (network down, throttled, risk control): not its answer."""
    return isinstance(exc, Throttled) or exc.kind == "network"


#: Tests name a step here to have the process SIGKILLed there, as a crash or ``kill -9`` would.
STOP_AT_ENV = "SABI_TEST_KILL_AT"


def _stop_point(name: str) -> None:
    if os.environ.get(STOP_AT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def safe_name(text: str) -> str:
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", text).strip(" .")
    return re.sub(r"\s+", " ", text)[:120] or "untitled"


class BilibiliRun:
    def __init__(
        self,
        sabi: Sabi,
        cfg: BilibiliSettings | None = None,
        *,
        ui: QuietUI | None = None,
        retry_failed: bool = False,
        records: Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ):
        self.sabi = sabi
        self.cfg = cfg or sabi.settings.section(BilibiliSettings)
        self.ui = ui or QuietUI()
        self.retry_failed = retry_failed
        self.records = records
        self.sleep = sleep
        self.transport = transport
        self.state = DownloadState(sabi.catalog)
        self.root = self.cfg.resolved_download_path(sabi.settings.data_dir).expanduser().resolve()
        self.cancel = threading.Event()
        self._notes: set[str] = set()

    # ----- the run

    def run(self) -> QueueReport:
        """One pass over the whole queue, holding the download lock."""
        lock = self.lock()
        try:
            return self.poll()
        finally:
            lock.release()

    def lock(self) -> DirLock:
        """One downloader per data directory (a watch holds it between its polls too)."""
        return DirLock(self.sabi.settings.data_dir, ".bilibili.lock", "Bilibili download")

    def poll(
        self,
        seasons: list[QueueItem] | None = None,
        epids: list[QueueItem] | None = None,
        *,
        watching: bool = False,
    ) -> QueueReport:
        """One pass over ``seasons`` and ``epids`` (None: the queue's); the caller holds the
        lock. ``watching``: a season with no episodes out yet is a note, not a problem."""
        report = QueueReport()
        t0 = time.perf_counter()
        api = BilibiliAPI(self.cfg, sleep=self.sleep, transport=self.transport)
        downloader = Downloader(
            self.cfg,
            progress=self.ui,
            cancel=self.cancel,
            sleep=self.sleep,
            transport=self.transport,
        )
        try:
            for folder in self._record_folders():
                done, failed = read_seed_records(folder)
                if done or failed:
                    n = self.state.import_seed(done, failed)
                    report.imported = (report.imported[0] + n[0], report.imported[1] + n[1])
            items = self._resolve(
                api,
                report,
                self.cfg.queue.season_id if seasons is None else seasons,
                self.cfg.queue.epid if epids is None else epids,
                watching,
            )
            self.ui.begin(len(items))
            fetch, index_now = self._decide(items, report)
            self._work(api, downloader, fetch, index_now, report)
        finally:
            self.ui.end()
            api.close()
            downloader.close()
            report.wall = time.perf_counter() - t0
        return report

    def _record_folders(self) -> list[Path]:
        folders = [self.records] if self.records is not None else []
        folders.append(self.root)
        seen: list[Path] = []
        for f in folders:
            if f is not None and f.is_dir() and f.resolve() not in seen:
                seen.append(f.resolve())
        return seen

    def _resolve(
        self,
        api: BilibiliAPI,
        report: QueueReport,
        seasons: list[QueueItem],
        epids: list[QueueItem],
        watching: bool,
    ) -> list[Item]:
        """Season info for every queue entry; one that fails is reported, the rest go on."""
        items: dict[int, Item] = {}
        for entry in seasons:
            try:
                season = api.season(season_id=entry.id)
            except BilibiliError as exc:
                report.problems.append(f"ss{entry.id}: {exc.reason}")
                self.ui.note(f"season ss{entry.id} skipped: {exc.reason}")
                continue
            report.seasons[entry.id] = season
            for why in season.skipped:
                report.problems.append(f"ss{entry.id} ({season.title}): {why}")
                self.ui.note(f"season ss{entry.id} ({season.title}): {why}")
            if not season.episodes and not season.skipped:
                if not watching:  # an announced season a watch waits for is no problem
                    report.problems.append(f"ss{entry.id} ({season.title}): no episodes out yet")
                self.ui.note(f"season ss{entry.id} ({season.title}): no episodes out yet")
            for ep in season.episodes:
                items.setdefault(ep.ep_id, Item(ep, season, entry.tag))
        for entry in epids:
            if entry.id in items:
                continue
            row = self.state.get(entry.id)
            if row is not None and (given_up := self.given_up(row)):
                report.outcomes.append(Outcome(entry.id, row.label, "skipped", given_up))
                self.ui.note(f"{row.label} (ep{entry.id}) {given_up}")
                continue
            try:
                season = api.season(ep_id=entry.id)
                found = season.find(entry.id)
                if found is None:
                    raise BilibiliError("removed", f"ep{entry.id} is not in its season's list")
            except BilibiliError as exc:
                self._unresolved(entry.id, entry.tag, row, exc, report)
                continue
            items[found.ep_id] = Item(found, season, entry.tag)
        return list(items.values())

    def _unresolved(
        self,
        ep_id: int,
        tag: str | None,
        row: EpisodeRow | None,
        exc: BilibiliError,
        report: QueueReport,
    ) -> None:
        """An episode queued by id whose season info could not be had.

        When the API is only out of reach (network, throttling, risk control), nothing about the
        episode is known to have changed: an episode already downloaded or indexed stays so and
        is reported done, and no row is marked failed for it. Only the API's own word (removed,
        region, VIP...) fails the episode. A tag is recorded only when one was given.
        """
        label = row.label if row is not None else f"ep{ep_id}"
        if row is not None and row.status in ("indexed", "downloaded") and _unreachable(exc):
            if row.status == "indexed" and self._still_indexed(row):
                report.outcomes.append(Outcome(ep_id, label, "done", note=row.note))
                self.ui.note(f"{label} (ep{ep_id}): already indexed; the API is out of reach")
                return
            report.outcomes.append(Outcome(ep_id, label, "failed", exc.reason))
            self.ui.note(f"{label} (ep{ep_id}) not indexed this run: {exc.reason}")
            return
        self.state.fail(ep_id, exc.kind, exc.reason, count_attempt=not _unreachable(exc))
        if tag is not None:
            self.state.update(ep_id, tag=tag)
        report.outcomes.append(Outcome(ep_id, label, "failed", exc.reason))
        self.ui.note(f"{label} (ep{ep_id}) failed: {exc.reason}")

    def _still_indexed(self, row: EpisodeRow) -> bool:
        return row.episode_id is None or row.episode_id in self.sabi.catalog.indexed_ids()

    def _decide(
        self, items: list[Item], report: QueueReport
    ) -> tuple[list[Item], list[tuple[Item, Path]]]:
        """(to download, already downloaded: only to index, with the MP4); the rest are
        reported done."""
        fetch: list[Item] = []
        index_now: list[tuple[Item, Path]] = []
        indexed = self.sabi.catalog.indexed_ids()
        for item in items:
            row = self.state.upsert(item.ep, item.season, item.tag)
            if row.status == "indexed" and (row.episode_id is None or row.episode_id in indexed):
                report.outcomes.append(Outcome(row.ep_id, item.label, "done", note=row.note))
                self.ui.episode_done()
                continue
            given_up = self.given_up(row)
            if given_up:
                report.outcomes.append(Outcome(row.ep_id, item.label, "skipped", given_up))
                self.ui.note(f"{item.label} (ep{row.ep_id}) {given_up}")
                self.ui.episode_done()
                continue
            if self.retry_failed and row.status == "failed":
                self.state.update(row.ep_id, attempts=0)
            if row.status == "queued" and self._queued(row):
                report.outcomes.append(Outcome(row.ep_id, item.label, "done", note=row.note))
                self.ui.episode_done()
                continue
            if row.status in ("downloaded", "queued") and row.path and Path(row.path).is_file():
                index_now.append((item, Path(row.path)))
            else:
                fetch.append(item)
        return fetch, index_now

    def given_up(self, row: EpisodeRow) -> str | None:
        """Why a failed episode is not tried again, or None when it is."""
        if row.status != "failed" or self.retry_failed or row.attempts < self.cfg.max_attempts:
            return None
        return (
            f"left alone after {row.attempts} attempts ({row.reason}); --retry-failed tries again"
        )

    def _work(
        self,
        api: BilibiliAPI,
        downloader: Downloader,
        fetch: list[Item],
        index_now: list[tuple[Item, Path]],
        report: QueueReport,
    ) -> None:
        for item, mp4 in index_now:
            if self.cancel.is_set():  # stopping: the MP4 stays 'downloaded' for the next run
                return
            self._index(item, mp4, report)
        if not fetch:
            return
        pool = ThreadPoolExecutor(self.cfg.concurrency, thread_name_prefix="bilibili")
        try:
            pending: dict[Future[Path], Item] = {
                pool.submit(self._download, api, downloader, item): item for item in fetch
            }
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    item = pending.pop(fut)
                    try:
                        mp4 = fut.result()
                    except Cancelled:
                        continue
                    except BilibiliError as exc:
                        self._failed(item, exc.kind, exc.reason, report)
                        continue
                    except Exception as exc:  # a bug or an odd file: this episode only
                        log.exception("ep%d", item.ep.ep_id)
                        self._failed(item, "unknown", f"{type(exc).__name__}: {exc}", report)
                        continue
                    if self.cancel.is_set():  # stopping: the next run indexes the MP4
                        continue
                    self._index(item, mp4, report)
        except BaseException:
            self.cancel.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    # ----- one episode

    def _download(self, api: BilibiliAPI, downloader: Downloader, item: Item) -> Path:
        """Worker thread: stream URLs, parts, MP4. Returns the MP4 (status 'downloaded')."""
        ep = item.ep
        if self.cancel.is_set():
            raise Cancelled(item.label)
        mp4 = self._mp4_path(item)
        if complete_mp4(mp4, ep.duration):
            # Muxed by a run that stopped before recording it (kill -9): nothing to fetch again.
            log.info("%s: %s is complete; recording it", item.label, mp4.name)
            self._downloaded(ep.ep_id, mp4)
            return mp4
        self.state.begin_attempt(ep.ep_id)
        stream = api.stream(ep, self.cfg.quality)
        if stream.note and stream.note not in self._notes:  # once a run, not per episode
            self._notes.add(stream.note)
            self.ui.note(f"{item.label} (ep{ep.ep_id}) and others alike: {stream.note}")
        self.state.update(ep.ep_id, quality=stream.quality, note=stream.note)
        work = self.root / ".partial" / f"ep{ep.ep_id}"
        files = [
            self._fetch_part(downloader, part, work / f"{stream.key}-{part.name}.{part.ext}", item)
            for part in stream.parts
        ]
        mp4.parent.mkdir(parents=True, exist_ok=True)
        try:
            mux_to_mp4(self._sources(stream, files), mp4)
        except BilibiliError:
            # Parts that cannot be muxed are not kept for the next run to fail on again.
            shutil.rmtree(work, ignore_errors=True)
            raise
        _stop_point("muxed")
        self._downloaded(ep.ep_id, mp4)
        return mp4

    def _downloaded(self, ep_id: int, mp4: Path) -> None:
        """Record the MP4, then drop the parts (a kill in between leaves both, never neither)."""
        self.state.update(ep_id, status="downloaded", path=str(mp4), size=mp4.stat().st_size)
        shutil.rmtree(self.root / ".partial" / f"ep{ep_id}", ignore_errors=True)

    def _fetch_part(self, downloader: Downloader, part: Part, dest: Path, item: Item) -> Path:
        """``part`` at ``dest``, checked: one that arrived (or was kept) complete but corrupt is
        fetched once more, and still corrupt, fails the episode and is not kept."""
        label = f"{item.label} {part.name}"
        for again in (False, True):
            downloader.fetch(part, dest, label)
            why = unreadable(dest)
            if why is None:
                return dest
            dest.unlink(missing_ok=True)
            log.info("%s: %s; %s", label, why, "giving up" if again else "fetching it again")
        raise BilibiliError("corrupt", f"{label}: the downloaded file cannot be used: {why}")

    @staticmethod
    def _sources(stream: Stream, files: list[Path]) -> list[list[Path]]:
        if stream.kind == "dash":
            return [[f] for f in files]  # video, then audio
        return [files]  # durl: segments one after the other

    def _mp4_path(self, item: Item) -> Path:
        show = safe_name(item.season.title)
        title = item.ep.title or ""
        if item.ep.number is not None and not re.search(r"\d", title):
            title = f"{item.ep.number:g} {title}".strip()
        return self.root / show / f"{show} - {safe_name(title)} [ep{item.ep.ep_id}].mp4"

    def _index(self, item: Item, mp4: Path, report: QueueReport) -> None:
        ep = item.ep
        link = self.cfg.link.replace("{ep_id}", str(ep.ep_id))
        if self.cfg.enqueue:
            self._enqueue(item, mp4, link, report)
            return
        bar = self.ui.indexing(item.label)
        try:
            run = self.sabi.index(
                [mp4],
                show=item.season.title,
                tag=item.tag,
                episode=ep.number,
                link=link,
                progress=bar,
            )
        except SabiError as exc:
            self._failed(item, "index", str(exc), report)
            return
        result = next((r for r in run.results if r.path == mp4.resolve()), None)
        if result is None or result.status == "failed":
            reason = result.error if result is not None else "the indexer did not see the file"
            self._failed(item, "index", f"indexing failed: {reason}", report)
            return
        self.state.update(
            ep.ep_id, status="indexed", episode_id=result.episode_id, kind=None, reason=None
        )
        if self.cfg.auto_remove:
            mp4.unlink(missing_ok=True)
            self.state.update(ep.ep_id, path=None)
        row = self.state.get(ep.ep_id)
        report.outcomes.append(
            Outcome(ep.ep_id, item.label, "indexed", note=row.note if row else None)
        )
        self.ui.episode_done()

    def _enqueue(self, item: Item, mp4: Path, link: str, report: QueueReport) -> None:
        """Hand the MP4 to the job queue (the same call as `sabi enqueue`); a worker indexes it."""
        ep = item.ep
        try:
            self.sabi.enqueue(
                [mp4], show=item.season.title, tag=item.tag, episode=ep.number, link=link
            )
        except SabiError as exc:
            self._failed(item, "index", f"could not queue it: {exc}", report)
            return
        self.state.update(ep.ep_id, status="queued", kind=None, reason=None)
        row = self.state.get(ep.ep_id)
        report.outcomes.append(
            Outcome(ep.ep_id, item.label, "queued", note=row.note if row else None)
        )
        self.ui.episode_done()

    def _queued(self, row: EpisodeRow) -> bool:
        """Whether a row handed to the job queue needs nothing from this run: its job is done
        (the row is marked indexed now) or still queued or running. A failed or missing job is
        queued again."""
        job = JobQueue(self.sabi.catalog).by_path(str(row.path))
        if job is not None and job.state == "done":
            self.state.update(row.ep_id, status="indexed", episode_id=job.episode_id)
            return True
        return job is not None and job.state in ("queued", "running")

    def _failed(self, item: Item, kind: str, reason: str, report: QueueReport) -> None:
        self.state.fail(item.ep.ep_id, kind, reason)
        report.outcomes.append(Outcome(item.ep.ep_id, item.label, "failed", reason))
        self.ui.note(f"{item.label} (ep{item.ep.ep_id}) failed: {reason}")
        self.ui.episode_done()
