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
- ``hangup``: calling a search off when its client hangs up; ``logs``: keys out of the
  access log
- ``cli``: ``sabi keys``

Errors raised here are defined in sabi.errors ("Errors of the HTTP service").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from sabi.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """See sabi.serve.app.create_app (imported late: FastAPI loads only when serving)."""
    from sabi.serve.app import create_app as _create

    return _create(settings)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options: ``X-Forwarded-For``/``-Proto`` are believed only from the
    ``trusted_proxies`` addresses (uvicorn alone would believe any local process); at most
    ``max_connections`` requests are held, the rest get uvicorn's own 503 before their body is
    read (under overload the event loop would otherwise spend its time reading uploads that the
    search pool will refuse anyway)."""
    trusted = settings.trusted_proxies.strip()
    return {
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "limit_concurrency": settings.max_connections,
    }


def run(settings: Settings, host: str, port: int, log_level: str = "info") -> None:
    """Serve until interrupted (uvicorn, one process: the model and index load once)."""
    import uvicorn

    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level=log_level, **uvicorn_options(settings))
