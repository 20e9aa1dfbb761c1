"""The HTTP API (trace.moe-compatible) and the web page, as one FastAPI application.

uvicorn --factory sabi.serve.app:create_app     # or: sabi serve

``sabi serve`` gives uvicorn the proxy options of sabi.serve.uvicorn_options (X-Forwarded-For
only from ``trusted_proxies``); run by hand, pass ``--no-proxy-headers`` or
``--forwarded-allow-ips`` yourself, or uvicorn believes any local process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sabi import __version__
from sabi.serve.headers import install_browser_policy
from sabi.serve.http_errors import document_errors, install_error_handlers
from sabi.serve.logs import redact_access_log
from sabi.serve.routes import ROUTERS
from sabi.serve.routes.pages import mount_assets
from sabi.serve.state import ServerState
from sabi.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application, with the model and index loaded (once, here) and its routes."""
    state = ServerState(settings or load_settings())
    redact_access_log()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="sabi",
        version=__version__,
        summary="Search Anime By Image: find the show, episode and moment of a screenshot.",
        description="A trace.moe-compatible API: point trace.moe clients at this server's URL.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.server = state  # routes reach it through sabi.serve.routes.deps.server_state
    install_error_handlers(app)
    install_browser_policy(app, state.settings)
    for router in ROUTERS:
        app.include_router(router)
    mount_assets(app)
    document_errors(app)
    return app
