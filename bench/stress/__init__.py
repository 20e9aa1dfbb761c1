"""Stress runs: ``kill -9`` during indexing (kill_resume) and searches at rising offered rates
(load). Run from the checkout's root: ``python -m bench.stress.kill_resume``,
``python -m bench.stress.load``; results go to bench/results/stress-*.{json,md}."""
