"""The ``sabi`` command: a thin layer over sabi.app.Sabi.

Commands raise ``SabiError`` subclasses and never catch them: ``sabi.cli_errors.SabiGroup`` turns
each into ``error: <message>`` and the exit status the README's table documents.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from sabi import __version__, queue_cli
from sabi.acquire import bilibili
from sabi.acquire.bilibili.cli import app as download_app
from sabi.acquire.local import VIDEO_SUFFIXES, find_videos
from sabi.app import Sabi, load_config
from sabi.cli_errors import SabiGroup
from sabi.cli_options import (
    ConfigOpt,
    DataDirOpt,
    EpisodeOpt,
    QuietOpt,
    ShowOpt,
    TagOpt,
    VideosArg,
)
from sabi.describe import DESCRIPTORS
from sabi.errors import BadInput, NotFound, NothingToIndex, PartlyFailed, SabiError
from sabi.pipeline.indexer import FileResult
from sabi.progress import RichProgress
from sabi.search.models import ShotsResponse
from sabi.settings import CONFIG_NAME, render_config

app = typer.Typer(
    cls=SabiGroup,
    help="sabi: find the anime, episode and moment a screenshot comes from.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(markup=False, highlight=False, soft_wrap=True)  # titles may hold [brackets]
err = Console(stderr=True)
bilibili.register()  # the [bilibili] settings table and SQL table, before any settings load

DescriptorOpt = Annotated[
    str | None,
    typer.Option("--descriptor", help=f"{', '.join(DESCRIPTORS)}, or .onnx"),
]
StoreOpt = Annotated[str | None, typer.Option("--store", help="faiss or milvus.")]


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", envvar="SABI_DEBUG", help="Show the traceback of an error.", show_envvar=True
        ),
    ] = False,
) -> None:
    # ``debug`` is read by SabiGroup from the context, where click has put it.
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the file.")] = Path(CONFIG_NAME),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a sabi.toml with every setting, commented, at its default."""
    if path.exists() and not force:
        raise SabiError(f"{path} exists; use --force to overwrite it")
    path.write_text(render_config())
    out.print(f"wrote {path}")


@app.command()
def index(
    paths: VideosArg,
    show: ShowOpt = None,
    tag: TagOpt = None,
    episode: EpisodeOpt = None,
    rate: Annotated[float | None, typer.Option(help="Frames sampled per second.")] = None,
    resolution: Annotated[int | None, typer.Option(help="Sampled frame width.")] = None,
    descriptor: DescriptorOpt = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Index video files and folders. Unchanged files are skipped; interrupted runs resume."""
    if episode is not None and (len(paths) != 1 or paths[0].is_dir()):
        raise typer.BadParameter("applies to a single file", param_hint="'--episode'")
    # Looked for before the data directory is made, so a wrong path leaves nothing behind.
    if next(iter(find_videos(paths)), None) is None:
        raise NothingToIndex(
            f"no video files in {', '.join(map(str, paths))} "
            f"(looked for {', '.join(sorted(VIDEO_SUFFIXES))})"
        )
    overrides: dict[str, Any] = {"rate": rate, "resolution": resolution}
    with Sabi.open(config, data_dir=data_dir, descriptor=descriptor, store=store, **overrides) as s:
        progress = None if quiet else RichProgress(err)
        report = s.index(paths, show=show, tag=tag, episode=episode, progress=progress)
    for r in report.results:
        if r.status == "failed":
            _warn(f"skipped {_shown(r.path)}: {short_reason(r.error)}")
    speed = report.video_seconds / report.wall if report.wall else 0.0
    err.print(
        f"indexed {report.count('indexed')}, unchanged {report.count('unchanged')}, "
        f"failed {report.count('failed')}"
        + (f", resumed {report.resumed}" if report.resumed else "")
        + f" in {report.wall:.1f} s ({speed:.1f}x real time)",
        highlight=False,
    )
    if not report.ok:
        raise PartlyFailed(_failed_summary(report.results))


def _failed_summary(results: list[FileResult]) -> str:
    failed = sum(1 for r in results if r.status == "failed")
    return f"{failed} of {len(results)} files could not be indexed (see the warnings above)"


def short_reason(error: str | None) -> str:
    """An indexing error as one short clause. FFmpeg's ``[Errno N]`` and its repeat of the file
    name are dropped (the warning names the file already); its last log line, which says what
    was wrong, is kept in brackets."""
    text = re.sub(r"\[Errno -?\d+\]\s*", "", error or "failed")
    text = re.sub(r":\s*'[^']*'", "", text)
    text, _, log = text.partition("; last error log:")
    log = re.sub(r"^\s*\[[^\]]*\]\s*", "", log).strip()
    return " ".join(text.split()) + (f" ({log})" if log else "")


def _shown(path: Path | str) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    p = Path(path)
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return os.fspath(p)


def _warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False, soft_wrap=True)


@app.command()
def search(
    image: Annotated[Path, typer.Argument(help="Screenshot, GIF or short clip ('-' reads stdin).")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (trace.moe's shape).")
    ] = False,
    cut_borders: Annotated[
        bool | None,
        typer.Option("--cut-borders/--no-cut-borders", help="Cut black borders of the query."),
    ] = None,
    show: Annotated[str | None, typer.Option(help="Only this show (title).")] = None,
    tag: Annotated[str | None, typer.Option(help="Only shows with this tag.")] = None,
    limit: Annotated[int | None, typer.Option(help="Scenes to return.")] = None,
    exact: Annotated[
        bool | None,
        typer.Option(
            "--exact/--no-exact",
            help="Name the exact frame from the source video (slower; default: exact_at).",
        ),
    ] = None,
    shots: Annotated[
        bool,
        typer.Option("--shots", help="Break a whole clip (an AMV) into shots; find each one."),
    ] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Find the scenes an image comes from."""
    try:
        try:
            data = sys.stdin.buffer.read() if str(image) == "-" else image.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"cannot read {image}: no such file") from None
        except OSError as exc:
            raise BadInput(f"cannot read {image}: {exc.strerror or exc}") from None
        with Sabi.open(config, data_dir=data_dir, create=False) as sabi:
            if shots:
                broken = sabi.shots(data, cut_borders=cut_borders, show=show, tag=tag)
            else:
                response = sabi.search(
                    data, cut_borders=cut_borders, show=show, tag=tag, limit=limit, exact=exact
                )
    except SabiError as exc:
        if as_json:  # a script still gets the answer's shape, with the error in it
            empty = "shots" if shots else "result"
            print(json.dumps({"frameCount": 0, "error": str(exc), empty: []}))
        raise
    if shots:
        _print_shots(broken, as_json)
        return
    if as_json:
        print(json.dumps(response.as_json(), ensure_ascii=False, indent=2))
        return
    if not response.result:
        out.print("no match (is anything indexed? try `sabi stats`)")
        return
    if not response.found:
        out.print(
            f"probably not in the library: the closest scene ({response.result[0].similarity:.1%})"
            " is not a clear match (min_similarity, min_margin); the closest scenes:"
        )
    for r in response.result:
        ep = f"ep {r.episode:g}" if isinstance(r.episode, int | float) else r.filename
        out.print(
            f"{r.similarity:6.1%}  {r.show.title} / {ep}  "
            f"{_clock(r.from_)}-{_clock(r.to)} (at {_clock(r.at)})  episode id {r.episode_id}"
        )


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Shows, episodes, frames, index size and descriptor."""
    with Sabi.open(config, data_dir=data_dir, create=False) as sabi:
        s = sabi.stats()
    if as_json:
        print(json.dumps(s.as_dict(), ensure_ascii=False))
        return
    out.print(
        f"shows {s.shows}, episodes {s.episodes} ({s.hours:.2f} h), frames {s.frames}, "
        f"failed {s.failed}\nstore {s.store}: {s.stored_vectors} vectors, "
        f"{s.index_bytes / 1e6:.1f} MB; descriptor {s.descriptor or '(none yet)'}"
    )
    for sh in s.show_list:
        tag = f" #{sh.tag}" if sh.tag else ""
        out.print(f"  [{sh.id}] {sh.title}{tag}: {sh.episodes} episodes")
    if s.failed_files:
        out.print("failed (`sabi index` tries them again):")
        for path in s.failed_files:
            out.print(f"  {_shown(path)}")


@app.command()
def remove(
    show: Annotated[str | None, typer.Option(help="Remove every episode of this show.")] = None,
    episode: Annotated[
        int | None, typer.Option("--episode", help="Remove this episode id.")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Remove every show with this tag.")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Remove episodes: their vectors and their rows."""
    if show is None and episode is None and tag is None:
        raise typer.BadParameter(
            "say what to remove", param_hint="'--show', '--tag' or '--episode'"
        )
    with Sabi.open(config, data_dir=data_dir, create=False) as sabi:
        n = sabi.remove(show=show, episode_id=episode, tag=tag)
    if n == 0:
        asked = (("show", show), ("tag", tag), ("episode id", episode))
        what = ", ".join(f"{k} {v!r}" for k, v in asked if v is not None)
        raise NotFound(f"nothing to remove: no indexed or failed episode has {what}")
    out.print(f"removed {n} episode(s)")


@app.command(name="add-vectors")
def add_vectors(
    files: Annotated[list[Path], typer.Argument(help="Vector files (.npz, see docs/vectors.md).")],
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Add episodes from precomputed frame vectors, without decoding video."""
    from sabi.pipeline.precomputed import read_vector_file

    with Sabi.open(config, data_dir=data_dir) as sabi:
        for path in files:
            vf = read_vector_file(path)
            ids = sabi.add_vectors(vf.items(), descriptor=vf.descriptor)
            out.print(f"{path}: added {len(ids)} episode(s), {vf.frames} frames")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (setting: host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (setting: port).")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Serve the web page and the trace.moe-compatible HTTP API."""
    from sabi.serve import run

    settings = load_config(config, data_dir=data_dir, host=host, port=port)
    shown = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0", "::") else settings.host
    err.print(f"sabi: open http://{shown}:{settings.port}/  (API docs: /docs)", highlight=False)
    run(settings, settings.host, settings.port)


def _print_shots(answer: ShotsResponse, as_json: bool) -> None:
    """One line a shot: its time in the clip, then where it comes from."""
    if as_json:
        print(json.dumps(answer.as_json(), ensure_ascii=False, indent=2))
        return
    if not answer.shots:
        out.print("no shot long enough to search")
    for shot in answer.shots:
        span = f"{_clock(shot.start)}-{_clock(shot.end)}"
        r = shot.result
        if r is None:
            out.print(f"{span}  not found ({shot.similarity:.1%})")
            continue
        ep = f"ep {r.episode:g}" if isinstance(r.episode, int | float) else r.filename
        out.print(
            f"{span}  {r.show.title} / {ep}  {_clock(r.from_)}-{_clock(r.to)}  "
            f"{r.similarity:.1%}  episode id {r.episode_id}"
        )


def _clock(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m):02d}:{s:05.2f}"


app.add_typer(download_app, name="download")
queue_cli.register(app)  # enqueue, worker, status


def _library_commands() -> None:
    from sabi.cli_library import db_app, export, import_

    app.command(name="export")(export)
    app.command(name="import")(import_)
    app.add_typer(db_app, name="db")


_library_commands()


def _keys_app() -> typer.Typer:
    from sabi.serve.cli import app as keys_app

    return keys_app


app.add_typer(_keys_app(), name="keys")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
