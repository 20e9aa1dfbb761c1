"""sabi's benchmarks: accuracy under screenshot edits, indexing speed, the store at scale.

Not part of the installed package: run from a checkout, ``python -m bench --help`` (or
``make bench`` / ``make bench-quick``), never in the test suite. Each benchmark measures and saves
JSON, then writes its Markdown report from that JSON (``*_report.py``). See bench/README.md.
"""
