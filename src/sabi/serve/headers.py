"""Browser-facing protection: CORS for the API, security headers on every answer.

trace.moe answers any origin, and browser apps call it directly, so the API allows every
origin by default (``cors_origins``), without credentials: a key travels in a header or the
query, never in a cookie. Every answer says ``nosniff`` and may not be framed; the page gets a
Content-Security-Policy without inline script (its JS is static/app.js), and /docs, whose
Swagger UI is started by an inline script, one that allows just that.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sabi.serve.origin import own_base
from sabi.settings import Settings

EXPOSED = [
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "retry-after",
    "x-match-offset",
    "content-range",
    "accept-ranges",
]
ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def page_csp(base: str) -> str:
    """The page's policy; ``base`` (where previews are linked) may differ from the page's own
    origin, e.g. a page opened as localhost whose links name 127.0.0.1."""
    media = f"'self' blob: {base}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {media} data:; media-src {media}; connect-src 'self' {base}; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """Pure ASGI (a BaseHTTPMiddleware would buffer streamed previews and hide hang-ups)."""

    def __init__(self, app: ASGIApp, public_url: str = ""):
        self.app = app
        self.public_url = public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        csp = DOCS_CSP if path == "/docs" else page_csp(own_base(scope, self.public_url))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers.setdefault(name, value)
                headers.setdefault("content-security-policy", csp)
            await send(message)

        await self.app(scope, receive, with_headers)


def install_browser_policy(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(SecurityHeaders, public_url=settings.public_url)
    if settings.cors_origins:  # added last: outermost, so preflights never reach the routes
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["*"],
            expose_headers=EXPOSED,
            max_age=600,
        )
