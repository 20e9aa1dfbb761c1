"""``sabi enqueue``, ``sabi worker`` and ``sabi status``: the indexing job queue from the shell.

The bodies live here; ``sabi.cli`` registers them (:func:`register`).
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Annotated

import typer
from rich.console import Console

from sabi.acquire.local import VIDEO_SUFFIXES, find_videos
from sabi.app import Sabi
from sabi.cli_options import (
    ConfigOpt,
    DataDirOpt,
    EpisodeOpt,
    QuietOpt,
    ShowOpt,
    TagOpt,
    VideosArg,
)
from sabi.errors import NothingToIndex, PartlyFailed
from sabi.pipeline.queue import utcnow
from sabi.pipeline.worker import JobOutcome, stop_on_signals

out = Console(markup=False, highlight=False, soft_wrap=True)
err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)


def enqueue(
    paths: VideosArg,
    show: ShowOpt = None,
    tag: TagOpt = None,
    episode: EpisodeOpt = None,
    link: Annotated[str | None, typer.Option(help="Link stored with the episode.")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Put video files on the job queue for `sabi worker` (a file is queued once)."""
    # Looked for before the data directory is made, so a wrong path leaves nothing behind.
    if next(iter(find_videos(paths)), None) is None:
        raise NothingToIndex(
            f"no video files in {', '.join(map(str, paths))} "
            f"(looked for {', '.join(sorted(VIDEO_SUFFIXES))})"
        )
    with Sabi.open(config, data_dir=data_dir) as sabi:
        report = sabi.enqueue(paths, show=show, tag=tag, episode=episode, link=link)
    out.print(
        f"queued {len(report.added)} new, {len(report.requeued)} again (done or failed before), "
        f"{len(report.already)} already queued or running"
    )


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Stop when no job is queued or running.")
    ] = False,
    max_jobs: Annotated[
        int | None, typer.Option("--max-jobs", min=1, help="Stop after this many jobs.")
    ] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Index files from the job queue; run as many as you like on shared stores.

    Ctrl-C (or SIGTERM) finishes the current job and stops; twice stops at once and gives the
    job back to the queue.
    """

    def line(o: JobOutcome) -> None:
        if not quiet or o.status != "done":
            err.print(_outcome_line(o))

    with Sabi.open(config, data_dir=data_dir) as sabi:
        w = sabi.worker(on_job=line)
        if not quiet:
            err.print(f"worker {w.name}: lease {sabi.settings.lease_seconds:g} s")
        with stop_on_signals(w, err.print):
            report = w.run(once=once, max_jobs=max_jobs)
    err.print(
        f"worker {report.worker}: done {report.count('done')}, failed {report.count('failed')}, "
        f"to retry {report.count('retry')}, lost {report.count('lost')}"
    )
    if report.count("failed") or report.count("retry"):
        raise PartlyFailed(
            f"{report.count('failed') + report.count('retry')} job(s) failed (`sabi status`)"
        )


def _outcome_line(o: JobOutcome) -> str:
    r = o.result
    head = f"[job {o.job.id}] {o.job.path}"
    if o.status == "done" and r is not None:
        if r.status == "unchanged":
            return f"{head}: unchanged (episode {r.episode_id})"
        speed = f", {r.duration / o.seconds:.1f}x real time" if o.seconds else ""
        return f"{head}: indexed {r.frames} frames in {o.seconds:.1f} s{speed}"
    what = {"retry": "failed (queued again)", "failed": "failed", "lost": "left to another worker"}
    return f"{head}: {what.get(o.status, o.status)}: {o.error}"


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """The job queue: counts per state, running jobs with their worker and lease."""
    with Sabi.open(config, data_dir=data_dir, create=False) as sabi:
        st = sabi.queue_status()
    if as_json:
        print(json.dumps(st.as_dict(), ensure_ascii=False, indent=2))
        return
    out.print(", ".join(f"{state} {n}" for state, n in st.counts.items()))
    now = utcnow()
    if st.running:
        out.print("running:")
    for j in st.running:
        lease = j.lease_until or now
        left = (lease - now).total_seconds()
        when = f"in {left:.0f} s" if left >= 0 else f"expired {-left:.0f} s ago"
        stamp = lease.replace(tzinfo=UTC).astimezone().strftime("%H:%M:%S")
        out.print(
            f"  [{j.id}] {j.path}  worker {j.worker}, lease until {stamp} ({when}), "
            f"attempt {j.attempts}"
        )
    if st.failed:
        out.print("failed (`sabi enqueue` them again to retry):")
    for j in st.failed:
        out.print(f"  [{j.id}] {j.path}: {j.error}")


def register(app: typer.Typer) -> None:
    app.command()(enqueue)
    app.command()(worker)
    app.command()(status)


__all__ = ["register"]
