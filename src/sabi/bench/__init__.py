"""Benchmarks: accuracy under screenshot edits, indexing speed, search at scale.

Run on demand (``sabi bench ...``, ``make bench``), never in the test suite. See bench/README.md.
"""
