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
- ``keys``, ``usage``, ``rates``, ``tables``: API keys, quotas and the per-minute limit, all
  counted in the catalogue's database (the server's own tables: ``tables``), so any number of
  server processes on one library count together (docs/scaling.md, "API replicas")
- ``tokens``, ``pool``, ``previews``, ``jobs``, ``anilist``: signed preview links, bounded
  worker pools, preview rendering (cached in ``preview_dir``), indexing jobs, AniList shapes
- ``hangup``: calling a search off when its client hangs up; ``logs``: keys out of the
  access log
- ``cli``: ``sabi keys``

Errors raised here are defined in sabi.errors ("Errors of the HTTP service").
"""

from __future__ import annotations

import os
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


#: How ``run`` hands its settings to worker processes (file, environment and flags resolved);
#: not SABI_*, which names settings.
WORKER_SETTINGS = "_SABI_SERVE_SETTINGS"
#: How long uvicorn waits for a worker's health answer (also how long a hung one lives on).
WORKER_START_S = 300


def worker_app() -> FastAPI:
    """The application of one of ``processes`` uvicorn workers (uvicorn imports this by name,
    as a factory): built from the settings ``run`` resolved, or from the usual sources when
    started by hand (``uvicorn --factory sabi.serve:worker_app --workers N``)."""
    from sabi.settings import load_settings, settings_class

    raw = os.environ.get(WORKER_SETTINGS)
    return create_app(settings_class().model_validate_json(raw) if raw else load_settings())


def run(settings: Settings, host: str, port: int, log_level: str = "info") -> None:
    """Serve until interrupted: one process (the model and index load once), or ``processes``
    uvicorn workers sharing the port, each with its own model and index. Nothing the workers
    must agree on lives in a process (see docs/scaling.md, "API replicas")."""
    import uvicorn

    options = uvicorn_options(settings)
    if settings.processes > 1:
        os.environ[WORKER_SETTINGS] = settings.model_dump_json()
        uvicorn.run(
            "sabi.serve:worker_app",
            factory=True,
            workers=settings.processes,
            # a worker answers uvicorn's health pings from a thread, which waits while the
            # model and the index load (seconds on a busy machine; the default 5 s kills it)
            timeout_worker_healthcheck=WORKER_START_S,
            host=host,
            port=port,
            log_level=log_level,
            **options,
        )
        return
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, log_level=log_level, **options)
