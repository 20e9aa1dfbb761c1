"""The ``sabi`` command: a thin layer over sabi.app.Sabi."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sabi import __version__
from sabi.acquire import bilibili
from sabi.acquire.bilibili.cli import app as download_app
from sabi.app import Sabi
from sabi.cli_options import ConfigOpt, DataDirOpt
from sabi.describe import DESCRIPTORS
from sabi.errors import SabiError
from sabi.progress import RichProgress
from sabi.settings import CONFIG_NAME, render_config

app = typer.Typer(
    help="sabi: find the anime, episode and moment a screenshot comes from.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
bilibili.register()  # the [bilibili] settings table and SQL table, before any settings load

DescriptorOpt = Annotated[
    str | None,
    typer.Option("--descriptor", help=f"{', '.join(DESCRIPTORS)}, or .onnx"),
]
StoreOpt = Annotated[str | None, typer.Option("--store", help="faiss or milvus.")]


def _open(config: Path | None, data_dir: Path | None, **overrides) -> Sabi:
    return Sabi.open(config, data_dir=data_dir, **overrides)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
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
        raise _fail(f"{path} exists; use --force to overwrite it")
    path.write_text(render_config())
    out.print(f"wrote {path}")


@app.command()
def index(
    paths: Annotated[list[Path], typer.Argument(help="Video files or folders (recursive).")],
    show: Annotated[
        str | None, typer.Option(help="Show title (default: from the folder/file name).")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Tag to filter searches by.")] = None,
    episode: Annotated[
        float | None, typer.Option(help="Episode number (single file only).")
    ] = None,
    rate: Annotated[float | None, typer.Option(help="Frames sampled per second.")] = None,
    resolution: Annotated[int | None, typer.Option(help="Sampled frame width.")] = None,
    descriptor: DescriptorOpt = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Index video files and folders. Unchanged files are skipped; interrupted runs resume."""
    try:
        sabi = _open(
            config, data_dir, rate=rate, resolution=resolution, descriptor=descriptor, store=store
        )
    except (SabiError, ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from None
    with sabi:
        if episode is not None and (len(paths) != 1 or paths[0].is_dir()):
            raise _fail("--episode applies to a single file")
        progress = None if quiet else RichProgress(err)
        try:
            report = sabi.index(paths, show=show, tag=tag, episode=episode, progress=progress)
        except (SabiError, FileNotFoundError) as exc:
            raise _fail(str(exc)) from None
        except KeyboardInterrupt:
            raise _fail("interrupted; run the same command again to finish", 130) from None
    for r in report.results:
        if r.status == "failed":
            err.print(f"[yellow]warning:[/yellow] skipped {r.path}: {r.error}", highlight=False)
    speed = report.video_seconds / report.wall if report.wall else 0.0
    err.print(
        f"indexed {report.count('indexed')}, unchanged {report.count('unchanged')}, "
        f"failed {report.count('failed')}"
        + (f", resumed {report.resumed}" if report.resumed else "")
        + f" in {report.wall:.1f} s ({speed:.1f}x real time)",
        highlight=False,
    )
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def search(
    image: Annotated[Path, typer.Argument(help="Screenshot, GIF or short clip ('-' reads stdin).")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (trace.moe's shape).")
    ] = False,
    cut_borders: Annotated[bool | None, typer.Option("--cut-borders/--no-cut-borders")] = None,
    show: Annotated[str | None, typer.Option(help="Only this show (title).")] = None,
    tag: Annotated[str | None, typer.Option(help="Only shows with this tag.")] = None,
    limit: Annotated[int | None, typer.Option(help="Scenes to return.")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Find the scenes an image comes from."""
    try:
        data = sys.stdin.buffer.read() if str(image) == "-" else image.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {image}: {exc.strerror or exc}") from None
    try:
        with _open(config, data_dir) as sabi:
            response = sabi.search(data, cut_borders=cut_borders, show=show, tag=tag, limit=limit)
    except SabiError as exc:
        if as_json:
            print(json.dumps({"frameCount": 0, "error": str(exc), "result": []}))
        raise _fail(str(exc), 2) from None
    if as_json:
        print(json.dumps(response.as_json(), ensure_ascii=False, indent=2))
        return
    if not response.result:
        out.print("no match (is anything indexed? try `sabi stats`)")
        return
    for r in response.result:
        ep = f"ep {r.episode:g}" if isinstance(r.episode, int | float) else r.filename
        out.print(
            f"{r.similarity:6.1%}  {r.show.title} / {ep}  "
            f"{_clock(r.from_)}-{_clock(r.to)} (at {_clock(r.at)})  #{r.episode_id}",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Shows, episodes, frames, index size and descriptor."""
    with _open(config, data_dir) as sabi:
        s = sabi.stats()
        shows = sabi.catalog.shows()
    if as_json:
        print(
            json.dumps(
                {
                    **s.as_dict(),
                    "show_list": [
                        {"id": i, "title": t, "tag": g, "episodes": n} for i, t, g, n in shows
                    ],
                }
            )
        )
        return
    out.print(
        f"shows {s.shows}, episodes {s.episodes} ({s.hours:.2f} h), frames {s.frames}, "
        f"failed {s.failed}\nstore {s.store}: {s.stored_vectors} vectors, "
        f"{s.index_bytes / 1e6:.1f} MB; descriptor {s.descriptor or '(none yet)'}",
        highlight=False,
    )
    for show_id, title, tag, n in shows:
        out.print(f"  [{show_id}] {title}" + (f" #{tag}" if tag else "") + f": {n} episodes")


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
        raise _fail("say what to remove: --show, --tag or --episode")
    try:
        with _open(config, data_dir) as sabi:
            n = sabi.remove(show=show, episode_id=episode, tag=tag)
    except SabiError as exc:
        raise _fail(str(exc)) from None
    if n == 0:
        raise _fail("nothing matched")
    out.print(f"removed {n} episode(s)")


@app.command(name="add-vectors")
def add_vectors(
    files: Annotated[list[Path], typer.Argument(help="Vector files (.npz, see docs/vectors.md).")],
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Add episodes from precomputed frame vectors, without decoding video."""
    from sabi.pipeline.precomputed import read_vector_file

    try:
        with _open(config, data_dir) as sabi:
            for path in files:
                vf = read_vector_file(path)
                ids = sabi.add_vectors(vf.items(), descriptor=vf.descriptor)
                out.print(f"{path}: added {len(ids)} episode(s), {vf.frames} frames")
    except FileNotFoundError as exc:
        raise _fail(f"no such file: {exc.filename}") from None
    except SabiError as exc:
        raise _fail(str(exc)) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (setting: host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (setting: port).")] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Serve the web page and the trace.moe-compatible HTTP API."""
    from sabi.serve import run
    from sabi.settings import load_settings

    try:
        settings = load_settings(config, data_dir=data_dir, host=host, port=port)
    except (ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from None
    shown = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0", "::") else settings.host
    err.print(f"sabi: open http://{shown}:{settings.port}/  (API docs: /docs)", highlight=False)
    try:
        run(settings, settings.host, settings.port)
    except SabiError as exc:
        raise _fail(str(exc)) from None


def _clock(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m):02d}:{s:05.2f}"


app.add_typer(download_app, name="download")


def _keys_app() -> typer.Typer:
    from sabi.serve.cli import app as keys_app

    return keys_app


app.add_typer(_keys_app(), name="keys")


def _bench_app() -> typer.Typer:
    from sabi.bench.cli import app as bench_app

    return bench_app


app.add_typer(_bench_app(), name="bench")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
