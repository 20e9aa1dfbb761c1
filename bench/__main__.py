"""``python -m bench``: the benchmarks' command line (run from the checkout's root)."""

from bench.cli import app

app(prog_name="python -m bench")
