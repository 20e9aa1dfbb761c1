"""``python -m bench``: run the benchmarks and write their tables under bench/results/."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bench.common import ROOT

if TYPE_CHECKING:
    from bench.common import BenchPaths

WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"

app = typer.Typer(
    help="Benchmarks (accuracy, indexing speed, the store at scale); results go to bench/results/.",
    no_args_is_help=True,
)

QuickOpt = Annotated[
    bool, typer.Option("--quick", help="Small sizes: minutes, not an hour; writes results/quick/.")
]
WorkOpt = Annotated[Path, typer.Option("--work", help="Cache for generated media and indexes.")]
ResultsOpt = Annotated[Path, typer.Option("--results", help="Where the tables go.")]
MediaOpt = Annotated[
    Path | None, typer.Option("--media", help="The shared clips (default ../shared/media).")
]


def _paths(work: Path, results: Path, media: Path | None, quick: bool) -> BenchPaths:
    from bench.common import BenchPaths, default_media

    return BenchPaths(work, results, media or default_media(), quick)


@app.command()
def accuracy(
    quick: QuickOpt = False,
    queries: Annotated[
        int | None,
        typer.Option(
            help="Frames per edit family in the report split (default 40; 8 with --quick); "
            "the tuning split draws half as many."
        ),
    ] = None,
    descriptor: Annotated[
        list[str] | None, typer.Option(help="Descriptors to compare (repeatable; default all).")
    ] = None,
    sweeps: Annotated[
        bool, typer.Option("--sweeps/--no-sweeps", help="Also sweep rate, dedupe, embed size.")
    ] = True,
    work: WorkOpt = WORK,
    results: ResultsOpt = RESULTS,
    media: MediaOpt = None,
) -> None:
    """Top-1/MRR/similarity per edit family and descriptor, mirror on/off, settings sweeps."""
    from bench.accuracy import DESCRIPTORS, bench_accuracy

    paths = _paths(work, results, media, quick)
    for path in bench_accuracy(
        paths,
        per_family=queries or (8 if quick else 40),
        descriptors=tuple(descriptor or DESCRIPTORS),
        sweeps=sweeps,
    ):
        typer.echo(f"wrote {path}")


@app.command()
def indexing(
    quick: QuickOpt = False,
    minutes: Annotated[
        float | None, typer.Option(help="Length of each source (default 10; 1 with --quick).")
    ] = None,
    work: WorkOpt = WORK,
    results: ResultsOpt = RESULTS,
    media: MediaOpt = None,
) -> None:
    """Indexing wall time vs decode-only time of the same 480p/720p file, stage shares, RSS."""
    from bench.indexing import bench_indexing

    paths = _paths(work, results, media, quick)
    typer.echo(f"wrote {bench_indexing(paths, minutes=minutes or (1.0 if quick else 10.0))}")


@app.command()
def workers(
    videos: Annotated[int, typer.Option(help="Videos in the batch.")] = 8,
    seconds: Annotated[float, typer.Option(help="Length of each video.")] = 30.0,
    counts: Annotated[str, typer.Option(help="Worker counts, comma-separated.")] = "1,2,4",
    work: WorkOpt = WORK,
    results: ResultsOpt = RESULTS,
    media: MediaOpt = None,
) -> None:
    """Indexing throughput of N `sabi worker` processes on PostgreSQL + the Milvus server."""
    from bench.workers import bench_workers

    paths = _paths(work, results, media, False)
    n = tuple(int(x) for x in counts.split(",") if x)
    typer.echo(f"wrote {bench_workers(paths, n, videos, seconds)}")


@app.command()
def store(
    quick: QuickOpt = False,
    sizes: Annotated[
        str | None,
        typer.Option(
            help="Library sizes in frames, comma-separated; 0 is the corpus alone "
            "(default 0,100000,1000000; --quick 0,100000)."
        ),
    ] = None,
    growth: Annotated[
        int | None, typer.Option(help="Frames of the growth curve (default 1000000; 0: none).")
    ] = None,
    legacy: Annotated[
        bool,
        typer.Option("--legacy/--no-legacy", help="Also the HNSW-era store's growth curve."),
    ] = True,
    rebuild: Annotated[bool, typer.Option(help="Rebuild cached libraries.")] = False,
    milvus_uri: Annotated[
        str | None,
        typer.Option(help="Also measure a running Milvus server (http://127.0.0.1:19530)."),
    ] = None,
    milvus_sizes: Annotated[str, typer.Option(help="Library sizes on Milvus.")] = "100000",
    milvus_pid: Annotated[
        int | None, typer.Option(help="The server's process id (for its memory).")
    ] = None,
    milvus_data: Annotated[
        Path | None, typer.Option(help="The server's data folder (for its disk).")
    ] = None,
    work: WorkOpt = WORK,
    results: ResultsOpt = RESULTS,
    media: MediaOpt = None,
) -> None:
    """The embedded store at scale, as shipped: disk, memory, open time, recall, end to end."""
    from bench.store import bench_store

    paths = _paths(work, results, media, quick)
    default = "0,100000" if quick else "0,100000,1000000"
    n = [int(x.replace("_", "")) for x in (sizes or default).split(",") if x]
    g = growth if growth is not None else (100_000 if quick else 1_000_000)
    milvus = None
    if milvus_uri:
        milvus = {
            "uri": milvus_uri,
            "pid": milvus_pid,
            "data": str(milvus_data) if milvus_data else None,
            "sizes": [int(x.replace("_", "")) for x in milvus_sizes.split(",") if x],
        }
    out = bench_store(
        paths, sizes=n, growth=g, legacy=legacy and not quick, rebuild=rebuild, milvus=milvus
    )
    typer.echo(f"wrote {out}")


@app.command(name="scale-milvus")
def scale_milvus(
    sizes: Annotated[
        str, typer.Option(help="Library sizes in frames, comma-separated.")
    ] = "100000,1000000",
    index: Annotated[
        list[str] | None,
        typer.Option(help="Index types (repeatable; default HNSW IVF_FLAT IVF_SQ8 DISKANN FLAT)."),
    ] = None,
    uri: Annotated[
        str | None, typer.Option(help="A running server (default: start one on loopback).")
    ] = None,
    pool: Annotated[
        Path | None,
        typer.Option(help="Real vectors to fit the synthetic ones to (bench store makes it)."),
    ] = None,
    work: WorkOpt = WORK,
    results: ResultsOpt = RESULTS,
) -> None:
    """The real Milvus server: recall@10, latency, build time per index type and size."""
    from bench.scale_milvus import INDEXES, bench_scale_milvus

    n = [int(x.replace("_", "")) for x in sizes.split(",") if x]
    real = pool or work / "scale" / "real-full.npz"
    out = bench_scale_milvus(results, real, n, tuple(index or INDEXES), uri, work)
    typer.echo(f"wrote {out}")


@app.command(name="all")
def all_(
    quick: QuickOpt = False,
    work: WorkOpt = WORK,
    results: ResultsOpt = RESULTS,
    media: MediaOpt = None,
) -> None:
    """Every benchmark, one after another (about an hour on 2 cores; --quick: a few minutes)."""
    accuracy(
        quick=quick,
        queries=None,
        descriptor=None,
        sweeps=True,
        work=work,
        results=results,
        media=media,
    )
    indexing(quick=quick, minutes=None, work=work, results=results, media=media)
    store(
        quick=quick,
        sizes=None,
        growth=None,
        legacy=True,
        rebuild=False,
        milvus_uri=None,
        milvus_sizes="100000",
        milvus_pid=None,
        milvus_data=None,
        work=work,
        results=results,
        media=media,
    )


def _renderers() -> dict[str, Callable[[dict[str, Any]], str]]:
    from bench.accuracy_report import render_accuracy, render_sweeps
    from bench.indexing_report import render as render_indexing
    from bench.scale_milvus_report import render as render_scale_milvus
    from bench.store_report import render as render_store
    from bench.workers_report import render as render_workers

    return {
        "accuracy": render_accuracy,
        "sweeps": render_sweeps,
        "indexing": render_indexing,
        "store": render_store,
        "workers": render_workers,
        "scale_milvus": render_scale_milvus,
    }


@app.command()
def report(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="accuracy, sweeps, indexing, store, workers (default: every one present)."
        ),
    ] = None,
    results: ResultsOpt = RESULTS,
) -> None:
    """Write the Markdown (and the accuracy charts) again from the saved JSON, measuring nothing."""
    from bench.accuracy_report import charts
    from bench.markdown import rewrite

    renderers = _renderers()
    unknown = sorted(set(names or ()) - set(renderers))
    if unknown:
        raise typer.BadParameter(f"no report named {', '.join(unknown)}; one of {list(renderers)}")
    wanted = names or [n for n in renderers if (results / f"{n}.json").is_file()]
    for name in wanted:
        try:
            typer.echo(f"wrote {rewrite(results, name, renderers[name])}")
        except FileNotFoundError:
            raise typer.BadParameter(
                f"{results / name}.json is missing: run the benchmark"
            ) from None
        except KeyError as e:
            raise typer.BadParameter(
                f"{results / name}.json lacks {e}: it was written by an older benchmark "
                "version; run the benchmark again"
            ) from None
        if name == "accuracy":
            charts(json.loads((results / "accuracy.json").read_text()), results)
