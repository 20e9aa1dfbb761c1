"""``sabi download bilibili --watch``: follow airing seasons, as trace.moe does.

A watch polls the queued seasons every ``watch_interval`` seconds (times 1 +/- ``watch_jitter``,
at random, so that many watchers do not ask in step), and each poll is an ordinary pass of
:class:`~sabi.acquire.bilibili.runner.BilibiliRun`: one season-info call per season (paced by
``api_delay``), then the episodes it has no finished row for are downloaded and indexed (or
queued for ``sabi worker``). What is known lives in the database, not in this process: episodes
in ``bilibili_episodes``, and per season the time of its last read and whether it is done in
``bilibili_seasons``. So a restarted watch waits out the interval from the last poll instead of
polling at once, downloads nothing twice, and misses nothing (each poll compares the whole
episode list with the rows).

A season is dropped from watching once the API says it finished airing (``publish.is_finish``)
and every one of its episodes is settled (indexed, or left alone after ``max_attempts``). Single
episodes (``--ep``) are read in the first poll and later only while they are not yet indexed.

SIGINT/SIGTERM stop it between steps: a wait ends at once, downloads in flight stop (their
``.part`` files stay), the episode being indexed is finished; a second signal stops at once. A
poll cut short that way is not recorded, so a restarted watch resumes it without waiting.

    from sabi.acquire.bilibili.watch import Watcher
    with sabi:
        report = Watcher(BilibiliRun(sabi, cfg), max_polls=3).watch()
"""

from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sabi.acquire.bilibili.api import Season
from sabi.acquire.bilibili.config import QueueItem
from sabi.acquire.bilibili.runner import BilibiliRun, QueueReport
from sabi.stopping import two_stage_stop

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """Naive UTC, as the state tables store times."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class WatchReport:
    polls: list[QueueReport] = field(default_factory=list)
    ended: str = ""  # why the watch ended, in words

    @property
    def ok(self) -> bool:
        """The last poll had no failures (earlier ones are retried by the later ones)."""
        return not self.polls or self.polls[-1].ok


class Watcher:
    """Runs ``run.poll`` until ``max_polls`` polls, a signal, or nothing left to watch.

    ``wait(seconds)`` (default: the stop event's wait) returns true when the watch should stop;
    ``clock`` gives naive UTC and ``rng`` a number in [0, 1): tests inject all three, so they
    neither sleep for the interval nor depend on the time of day.
    """

    def __init__(
        self,
        run: BilibiliRun,
        *,
        max_polls: int | None = None,
        on_poll: Callable[[int, QueueReport], None] | None = None,
        on_wait: Callable[[float], None] | None = None,
        wait: Callable[[float], bool | None] | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: Callable[[], float] = random.random,
    ):
        if max_polls is not None and max_polls < 1:
            raise ValueError("max_polls must be at least 1")
        self.run = run
        self.cfg = run.cfg
        self.state = run.state
        self.max_polls = max_polls
        self.on_poll = on_poll or (lambda n, report: None)
        self.on_wait = on_wait or (lambda seconds: None)
        self.stop = threading.Event()
        self.wait = wait or self.stop.wait
        self.clock = clock
        self.rng = rng

    def watch(self) -> WatchReport:
        report = WatchReport()
        lock = self.run.lock()  # held between polls too: one downloader per data directory
        try:
            with self._signals():
                report.ended = self._loop(report)
        finally:
            lock.release()
        return report

    def _loop(self, report: WatchReport) -> str:
        while not self.stop.is_set():
            seasons = self.watched()
            if report.polls and not seasons:
                if not self.cfg.queue.season_id:
                    return "no season in the queue to watch"
                return "every queued season has finished airing and is done"
            delay = self.delay(seasons)
            if delay > 0:
                self.on_wait(delay)
                if self.wait(delay) or self.stop.is_set():
                    break
            started = self.clock()
            epids = self.cfg.queue.epid if not report.polls else self._open_epids()
            polled = self.run.poll(seasons, epids, watching=True)
            if not self.stop.is_set():  # a poll cut short is not one: a restart polls at once
                self._record(seasons, polled, started)
            report.polls.append(polled)
            self.on_poll(len(report.polls), polled)
            if self.max_polls is not None and len(report.polls) >= self.max_polls:
                return f"{len(report.polls)} poll(s), as --max-polls asked"
        return "stopped by a signal"

    # ----- what to poll, and when

    def watched(self) -> list[QueueItem]:
        """The queue's seasons that are not done."""
        rows = self.state.seasons()
        return [
            e for e in self.cfg.queue.season_id if e.id not in rows or rows[e.id].done_at is None
        ]

    def delay(self, seasons: list[QueueItem]) -> float:
        """Seconds until the next poll is due: the interval (with jitter) after the oldest
        read of a watched season; 0 if one was never read."""
        interval = self.cfg.watch_interval
        rows = self.state.seasons()
        times = [rows[e.id].polled_at if e.id in rows else None for e in seasons]
        if interval <= 0 or not times:
            return 0.0
        oldest = None if None in times else min(t for t in times if t is not None)
        if oldest is None:
            return 0.0
        gap = interval * (1 + self.cfg.watch_jitter * (2 * self.rng() - 1))
        left = (oldest + timedelta(seconds=gap) - self.clock()).total_seconds()
        return min(max(left, 0.0), gap)  # a clock set back does not stretch the wait

    def _open_epids(self) -> list[QueueItem]:
        """Single episodes still worth a season-info call: not indexed yet."""
        out = []
        indexed = self.run.sabi.catalog.indexed_ids()
        for entry in self.cfg.queue.epid:
            row = self.state.get(entry.id)
            if row is None or row.status != "indexed":
                out.append(entry)
            elif row.episode_id is not None and row.episode_id not in indexed:
                out.append(entry)  # its sabi episode was removed: fetched again
        return out

    # ----- after a poll

    def _record(self, seasons: list[QueueItem], polled: QueueReport, when: datetime) -> None:
        for entry in seasons:
            season = polled.seasons.get(entry.id)
            if season is None:  # could not be read: still a poll, for the spacing
                self.state.season_polled(entry.id, when)
                continue
            self.state.season_polled(
                entry.id,
                when,
                title=season.title,
                episodes=len(season.episodes),
                finished=season.finished,
            )
            if season.finished and self._settled(season):
                self.state.season_done(entry.id, self.clock())
                self.run.ui.note(
                    f"season ss{entry.id} ({season.title}) has finished airing and every "
                    "episode is done: no longer watched"
                )

    def _settled(self, season: Season) -> bool:
        """Every main episode is indexed or left alone (after ``max_attempts``)."""
        for ep in season.episodes:
            row = self.state.get(ep.ep_id)
            if row is None or not (row.status == "indexed" or self.run.given_up(row)):
                return False
        return True

    # ----- stopping

    def _signals(self) -> AbstractContextManager[None]:
        """SIGINT/SIGTERM: stop after the current step; a second one stops at once. Off the
        main thread the caller stops the watch with ``watcher.stop.set()``."""

        def first(signum: int) -> None:
            self.run.cancel.set()
            self.run.ui.note(
                f"{signal.Signals(signum).name}: stopping after the current step "
                "(once more to stop at once)"
            )

        return two_stage_stop(self.stop, first)
