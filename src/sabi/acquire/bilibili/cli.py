"""``sabi download bilibili`` and ``sabi download status``.

Errors are raised, not printed: the ``sabi`` group (sabi.cli_errors) reports them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sabi.acquire.bilibili.config import QueueItem, quality_name
from sabi.acquire.bilibili.progress import QuietUI, RichUI
from sabi.acquire.bilibili.runner import BilibiliRun, QueueReport, open_bilibili
from sabi.acquire.bilibili.state import DownloadState
from sabi.acquire.bilibili.watch import Watcher
from sabi.app import Sabi
from sabi.cli_options import ConfigOpt, DataDirOpt, QuietOpt
from sabi.errors import BadInput, PartlyFailed

app = typer.Typer(
    help="Download videos into the index (Bilibili seasons and episodes).",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)


def _ids(values: list[str] | None, tag: str | None) -> list[list[str | None]]:
    return [[tag, v] for v in values or []]


def _checked(prefix: str) -> Callable[[list[str] | None], list[str] | None]:
    """A callback that refuses an id that is not ``<prefix>123`` or ``123`` as a usage error
    (exit status 2), before anything is opened."""

    def check(values: list[str] | None) -> list[str] | None:
        for value in values or []:
            try:
                QueueItem.parse(value, prefix)
            except ValueError:
                raise typer.BadParameter(
                    f"{value!r} is not a {prefix} id (give {prefix}123 or 123)"
                ) from None
        return values

    return check


def _settings_file(path: Path | None) -> Path | None:
    if path is not None and path.exists() and not path.is_file():
        raise typer.BadParameter(f"{str(path)!r} is a folder; give the setting.json file in it")
    return path


@app.command()
def bilibili(
    settings: Annotated[
        Path | None,
        typer.Option(
            "--settings",
            "-s",
            help="The seed's download_bilibili/setting.json (its finish.json/failed.json beside "
            "it are imported).",
            callback=_settings_file,
        ),
    ] = None,
    season: Annotated[
        list[str] | None,
        typer.Option(
            "--season", help="Season id (ss...) to add to the queue.", callback=_checked("ss")
        ),
    ] = None,
    epid: Annotated[
        list[str] | None,
        typer.Option(
            "--ep", help="Episode id (ep...) to add to the queue.", callback=_checked("ep")
        ),
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Tag for --season/--ep entries.")] = None,
    quality: Annotated[int | None, typer.Option(help="Wanted qn (64 720P, 80 1080P...).")] = None,
    sessdata: Annotated[
        str | None,
        typer.Option("--sessdata", help="Login cookie (SESSDATA).", show_default=False),
    ] = None,
    download_path: Annotated[
        Path | None, typer.Option("--download-path", help="Where downloads go.")
    ] = None,
    auto_remove: Annotated[
        bool | None,
        typer.Option("--auto-remove/--keep", help="Delete each MP4 once indexed (or keep it)."),
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help="Episodes downloaded at once.")] = None,
    enqueue: Annotated[
        bool | None,
        typer.Option(
            "--enqueue/--index-here",
            help="Put downloads on the job queue for `sabi worker` (or index them here).",
        ),
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="Try episodes again that reached max_attempts."),
    ] = False,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            help="Keep polling the queued seasons for new episodes (every watch_interval "
            "seconds) until Ctrl-C/SIGTERM.",
        ),
    ] = False,
    max_polls: Annotated[
        int | None,
        typer.Option("--max-polls", min=1, help="Stop after this many polls (implies --watch)."),
    ] = None,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval", min=0, help="Seconds between polls (watch_interval; implies --watch)."
        ),
    ] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Download the queue (seasons, episodes) from Bilibili, mux to MP4 and index it.

    Reruns skip what is done, resume partial files and retry what failed. With --watch, the
    queued seasons are polled again and again and new episodes fetched as they air.
    """
    watching = watch or max_polls is not None or interval is not None
    overrides = {
        "quality": quality,
        "sessdata": sessdata,
        "download_path": download_path,
        "auto_remove": auto_remove,
        "concurrency": concurrency,
        "enqueue": enqueue,
        "watch_interval": interval,
    }
    sabi, cfg = open_bilibili(config, settings, sabi_overrides={"data_dir": data_dir}, **overrides)
    with sabi:
        if season or epid:
            queue = cfg.queue.model_dump()
            queue["season_id"] += _ids(season, tag)
            queue["epid"] += _ids(epid, tag)
            cfg = cfg.model_validate({**cfg.model_dump(), "queue": queue})
        if not cfg.queue:
            raise BadInput(
                "the queue is empty: give --settings, --season/--ep, or [bilibili].queue"
            )
        ui = QuietUI(err) if quiet else RichUI(err)
        records = settings.parent if settings is not None else None
        run = BilibiliRun(sabi, cfg, ui=ui, retry_failed=retry_failed, records=records)
        if watching:
            _watch(run, max_polls)
            return
        report = run.run()
    _summarise(report)


def _watch(run: BilibiliRun, max_polls: int | None) -> None:
    """Poll until stopped; one summary line per poll. The exit status is the last poll's."""

    def polled(n: int, report: QueueReport) -> None:
        err.print(f"poll {n}: " + _totals(report), highlight=False)

    def waiting(seconds: float) -> None:
        at = (datetime.now() + timedelta(seconds=seconds)).strftime("%H:%M:%S")
        err.print(f"next poll in {seconds:.0f} s (at {at}); Ctrl-C stops", highlight=False)

    report = Watcher(run, max_polls=max_polls, on_poll=polled, on_wait=waiting).watch()
    err.print(f"watch ended: {report.ended}", highlight=False)
    if report.polls:
        _check(report.polls[-1])


def _summarise(report: QueueReport) -> None:
    """The run's totals; failures (each printed as it happened) make the exit status say so."""
    err.print(_totals(report), highlight=False)
    _check(report)


def _totals(report: QueueReport) -> str:
    imported = ""
    if report.imported != (0, 0):
        imported = (
            f"imported from the seed: {report.imported[0]} done, {report.imported[1]} failed\n"
        )
    return (
        imported
        + f"indexed {report.count('indexed')}, "
        + (f"queued for workers {report.count('queued')}, " if report.count("queued") else "")
        + f"already done {report.count('done')}, "
        f"failed {report.count('failed')}, left alone {report.count('skipped')}"
        + (f", seasons unreadable {len(report.problems)}" if report.problems else "")
        + f" in {report.wall:.1f} s"
    )


def _check(report: QueueReport) -> None:
    if report.count("failed") or report.problems:
        raise PartlyFailed(
            f"{report.count('failed')} episode(s) failed, {len(report.problems)} season(s) "
            "unreadable (see above; `sabi download status` lists them)"
        )


@app.command()
def status(
    tag: Annotated[str | None, typer.Option(help="Only this tag.")] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only this status: pending, downloading, downloaded, queued, indexed, failed.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """The download state of every Bilibili episode sabi knows."""
    with Sabi.open(config, data_dir=data_dir, create=False) as sabi:
        rows = DownloadState(sabi.catalog).rows(tag=tag, status=only)
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "ep_id": r.ep_id,
                        "season_id": r.season_id,
                        "show": r.show,
                        "tag": r.tag,
                        "episode": r.number,
                        "title": r.title,
                        "long_title": r.long_title,
                        "status": r.status,
                        "kind": r.kind,
                        "reason": r.reason,
                        "attempts": r.attempts,
                        "quality": r.quality,
                        "note": r.note,
                        "path": r.path,
                        "episode_id": r.episode_id,
                        "source": r.source,
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not rows:
        out.print("no Bilibili episodes yet (run `sabi download bilibili`)")
        return
    table = Table("ep", "show", "tag", "#", "status", "tries", "quality")
    table.add_column("reason / note", overflow="fold", ratio=1)
    colours = {"indexed": "green", "failed": "red", "downloading": "yellow"}
    for r in rows:
        colour = colours.get(r.status, "")
        quality = quality_name(r.quality) if r.quality else ""
        asked = re.search(r"asked for (\d+)", r.note or "")
        if asked and quality:
            quality += f", asked {asked.group(1)}"
        # Shows, tags and reasons are Bilibili's or the user's text: escaped, never markup.
        table.add_row(
            str(r.ep_id),
            escape(r.show or ""),
            escape(r.tag or ""),
            escape(f"{r.number:g}" if r.number is not None else (r.title or "")),
            f"[{colour}]{escape(r.status)}[/{colour}]" if colour else escape(r.status),
            str(r.attempts),
            quality,
            escape(
                (f"{r.kind}: {r.reason}" if r.kind else r.reason)
                if r.reason
                else (r.note if r.note and not asked else "")
            ),
        )
    out.print(table)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    out.print(escape(", ".join(f"{k} {v}" for k, v in sorted(counts.items()))), highlight=False)
