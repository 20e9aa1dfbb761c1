"""The HTTP API and web page: ``sabi serve``.

Layout:

- ``app``: ``create_app``, which builds the FastAPI application from the parts below
- ``state``: ``ServerState``, what a server process holds; its ``sabi`` is the one
  application object (sabi.app.Sabi), used for search, index, remove and stats
- ``routes/``: one router per group of routes (search, previews, account, anilist, admin,
  pages) and their shared dependencies (``routes/deps.py``)
- ``schemas``: the request and response models (a search result extends sabi.search.models)
- ``http_errors``: the one translation of SabiError to an HTTP status and ``{"error": ...}``
- ``inputs``, ``fetch``: reading the query (upload, body, ``?url=``)
- ``keys``, ``tokens``, ``pool``, ``previews``, ``jobs``, ``anilist``: API keys and limits,
  signed preview links, bounded worker pools, preview rendering, indexing jobs, AniList shapes
- ``cli``: ``sabi keys``

Errors raised here are defined in sabi.errors ("Errors of the HTTP service").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from sabi.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """See sabi.serve.app.create_app (imported late: FastAPI loads only when serving)."""
    from sabi.serve.app import create_app as _create

    return _create(settings)


def run(settings: Settings, host: str, port: int, log_level: str = "info") -> None:
    """Serve until interrupted (uvicorn, one process: the model and index load once)."""
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
