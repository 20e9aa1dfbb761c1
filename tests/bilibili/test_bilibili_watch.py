"""``sabi download bilibili --watch``: a season that gains an episode between two polls has that
episode (and only it) fetched and indexed or queued; a restarted watch keeps the spacing and
picks up where it stopped; ``--max-polls`` bounds it; a finished season is dropped; SIGTERM
stops it cleanly. Nothing sleeps for the interval: the clock, the wait and the jitter are
injected, or the interval is 0."""

from __future__ import annotations

import contextlib
import json
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from bili_fake import FakeBilibili, FakeEpisode
from media import frame_at, screenshot
from typer.testing import CliRunner

from sabi.acquire.bilibili.runner import BilibiliRun, open_bilibili
from sabi.acquire.bilibili.state import DownloadState
from sabi.acquire.bilibili.watch import Watcher, WatchReport
from sabi.cli import app
from sabi.pipeline.queue import JobQueue

QUEUE = '[bilibili]\nqueue = { season_id = [["bunny", 425]] }\n'
T0 = datetime(2026, 11, 25, 12, 0, 0)


def new_episode(media: dict[str, dict[str, Path]], airs_after: int = 0) -> FakeEpisode:
    """Episode 3 of ss425: the durl segments cut from bikes.mp4 (unlike episodes 1 and 2)."""
    return FakeEpisode(
        1003, "3", media["s2e1"], mode="durl", duration_ms=9920, airs_after=airs_after
    )


def playurl_eps(fake: FakeBilibili) -> list[int]:
    return sorted(int(r["query"]["ep_id"]) for r in fake.requests("/pgc/player/web/playurl"))


def watch(**kw) -> WatchReport:
    """A new Sabi, runner and watcher on the data directory: what a restarted process has."""
    sabi, cfg = open_bilibili()
    with sabi:
        return Watcher(BilibiliRun(sabi, cfg), **kw).watch()


def test_an_episode_that_airs_between_polls_is_fetched_and_indexed_alone(
    bili_env, fake, bili_media, shared_media
):
    (bili_env / "sabi.toml").write_text(QUEUE)
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        fake.air(425, new_episode(bili_media))  # it airs while the watch waits
        return False

    report = watch(max_polls=2, wait=wait, clock=lambda: T0, rng=lambda: 0.75)
    assert waits == [pytest.approx(630.0)]  # 600 s, +5 % of jitter (0.1 * (2 * 0.75 - 1))
    first, second = report.polls
    assert (first.count("indexed"), first.count("done")) == (2, 0)
    assert (second.count("indexed"), second.count("done")) == (1, 2)
    assert [o.ep_id for o in second.outcomes if o.status == "indexed"] == [1003]
    assert playurl_eps(fake) == [1001, 1002, 1003]  # the old ones were not fetched again
    assert fake.seasons[425].reads == 2
    assert "2 poll(s)" in report.ended

    _, rgb = frame_at(shared_media / "bikes.mp4", 7.0)  # in the second durl segment
    shot = bili_env / "shot.jpg"
    shot.write_bytes(screenshot(rgb))
    r = CliRunner().invoke(app, ["search", str(shot), "--json", "--tag", "bunny"])
    assert r.exit_code == 0, r.output
    top = json.loads(r.stdout)["result"][0]
    assert top["show"]["title"] == "Big Buck Bunny" and top["episode"] == 3
    assert top["link"].startswith("https://www.bilibili.com/bangumi/play/ep1003?t=")


def test_a_restarted_watch_keeps_the_spacing_and_queues_only_the_new_episode(
    bili_env, fake, bili_media
):
    (bili_env / "sabi.toml").write_text(QUEUE + "enqueue = true\n")
    first = watch(max_polls=1, clock=lambda: T0)
    assert first.polls[0].count("queued") == 2

    fake.air(425, new_episode(bili_media))
    waits: list[float] = []
    # Restarted 200 s after the first poll's read: it waits the other 400 s, not polling at once.
    second = watch(
        max_polls=1,
        wait=lambda s: waits.append(s),
        clock=lambda: T0 + timedelta(seconds=200),
        rng=lambda: 0.5,
    )
    assert waits == [pytest.approx(400.0)]
    poll = second.polls[0]
    assert (poll.count("queued"), poll.count("done")) == (1, 2)
    assert playurl_eps(fake) == [1001, 1002, 1003]

    sabi, _ = open_bilibili()
    with sabi:
        row = DownloadState(sabi.catalog).get(1003)
        assert row is not None and row.status == "queued"
        job = JobQueue(sabi.catalog).by_path(str(row.path))
        seasons = DownloadState(sabi.catalog).seasons()
    assert job is not None and job.state == "queued"
    assert (job.show, job.tag, job.episode) == ("Big Buck Bunny", "bunny", 3.0)
    assert seasons[425].polled_at == T0 + timedelta(seconds=200) and seasons[425].episodes == 3


def test_max_polls_bounds_the_watch_from_the_command_line(bili_env, fake, bili_media):
    (bili_env / "sabi.toml").write_text(QUEUE + "enqueue = true\n")
    fake.air(425, new_episode(bili_media, airs_after=1))  # listed from the second read on
    cli = CliRunner()
    argv = ["download", "bilibili", "--watch", "--max-polls", "2", "--interval", "0", "-q"]
    r = cli.invoke(app, argv)
    assert r.exit_code == 0, r.output
    assert "poll 1: indexed 0, queued for workers 2, already done 0" in r.output
    assert "poll 2: indexed 0, queued for workers 1, already done 2" in r.output
    assert "watch ended: 2 poll(s)" in r.output
    assert fake.seasons[425].reads == 2
    status = json.loads(cli.invoke(app, ["status", "--json"]).stdout)
    assert status["counts"]["queued"] == 3


def test_a_finished_season_with_every_episode_done_is_dropped(bili_env, fake):
    (bili_env / "sabi.toml").write_text(QUEUE)
    fake.seasons[425].finished = True
    sabi, cfg = open_bilibili()
    with sabi:
        DownloadState(sabi.catalog).import_seed({1001, 1002}, {})  # done before the watch

        def wait(seconds: float) -> bool:
            raise AssertionError("a watch with nothing left to watch does not wait")

        report = Watcher(BilibiliRun(sabi, cfg), max_polls=3, wait=wait).watch()
        seasons = DownloadState(sabi.catalog).seasons()
    assert len(report.polls) == 1 and "finished airing" in report.ended
    assert seasons[425].finished and seasons[425].done_at is not None
    assert fake.seasons[425].reads == 1 and playurl_eps(fake) == []


def test_sigterm_while_waiting_stops_the_watch_cleanly(bili_env, fake):
    (bili_env / "sabi.toml").write_text(QUEUE)
    sabi, _ = open_bilibili()
    with sabi:
        DownloadState(sabi.catalog).import_seed({1001, 1002}, {})  # nothing to download
    proc = subprocess.Popen(
        [sys.executable, "-m", "sabi.cli", "download", "bilibili", "--watch", "-q"],
        cwd=bili_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not any(x.startswith("next poll in") for x in seen):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(seen)
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=0.5))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, "".join(seen)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(10)
    while not lines.empty():
        seen.append(lines.get())
    out = "".join(seen)
    assert "poll 1: indexed 0, already done 2" in out
    assert "SIGTERM: stopping after the current step" in out
    assert "watch ended: stopped by a signal" in out
    assert fake.seasons[425].reads == 1  # the wait ended without another poll


def test_sigterm_mid_download_keeps_the_part_and_a_restart_resumes_it_at_once(bili_env, fake):
    (bili_env / "sabi.toml").write_text(QUEUE + "enqueue = true\n")
    fake.throttle = 150_000  # bytes/s: episode 1's video takes ~10 s
    part = bili_env / "data/bilibili/.partial/ep1001/dash-64-avc-video.m4s.part"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sabi.cli", "download", "bilibili", "--watch", "-q"],
        cwd=bili_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (part.exists() and part.stat().st_size > 200_000):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the download never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    out = proc.stderr.read()
    assert "watch ended: stopped by a signal" in out, out
    offset = part.stat().st_size
    sabi, _ = open_bilibili()
    with sabi:
        state = DownloadState(sabi.catalog)
        assert state.get(1001).status == "downloading"  # not failed: stopped
        assert 425 not in state.seasons()  # the poll was cut short: not recorded

    fake.throttle = None
    before = len(fake.log)

    def wait(seconds: float) -> bool:
        raise AssertionError("the interrupted poll is resumed at once")

    report = watch(max_polls=1, wait=wait)
    assert report.polls[0].count("queued") == 2
    again = [x for x in fake.log[before:] if x["path"].endswith("/10010-video.m4s")]
    assert [x["range"] for x in again] == [f"bytes={offset}-"]
