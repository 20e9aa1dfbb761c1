"""Bilibili acquisition: download whole seasons by queue, resumably, straight into the index.

A feature on top of the engine (it drives ``sabi.app``): the engine's lower layers never import
it. Instead :func:`register` hands them its ``[bilibili]`` settings table and its SQL table;
the program's entry points (``sabi.cli``) call it before loading settings or opening a catalogue.
"""

from __future__ import annotations

from sabi.acquire.bilibili.config import BilibiliSettings
from sabi.acquire.bilibili.models import SCHEMA_STEPS
from sabi.catalog.migrations import register_schema
from sabi.settings import register_section

SECTION = "bilibili"


def register() -> None:
    """Add the ``[bilibili]`` table to the settings and ``bilibili_episodes`` to the schema.
    Calling it again changes nothing."""
    register_section(
        SECTION,
        BilibiliSettings,
        "Bilibili downloads: a [bilibili] table with the seed's setting.json keys (queue, "
        "SESSDATA, quality, downloadPath, ...); env SABI_BILIBILI__<KEY>. See docs/bilibili.md.",
        inline=BilibiliSettings.toml_inline,
    )
    register_schema(SECTION, SCHEMA_STEPS)


__all__ = ["SECTION", "register"]
