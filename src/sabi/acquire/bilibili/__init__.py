"""Bilibili acquisition: download whole seasons by queue, resumably, straight into the index.

Kept import-light on purpose: ``sabi.settings`` imports :mod:`.config` from here, so nothing in
this package's ``__init__`` may import the rest of sabi.
"""
