"""FastAPI dependencies the routes share: the server's state, who is calling, the admin check.

A caller names their key as ``?key=`` or in the ``x-trace-key`` header (trace.moe's names).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from sabi.errors import BadKey
from sabi.serve.keys import Caller
from sabi.serve.origin import own_base
from sabi.serve.state import ServerState

KeyParam = Annotated[str | None, Query(description="API key (or the x-trace-key header).")]
TraceKey = Annotated[str | None, Header(alias="x-trace-key", include_in_schema=False)]


def server_state(request: Request) -> ServerState:
    """The state create_app put on the application."""
    state: ServerState = request.app.state.server
    return state


State = Annotated[ServerState, Depends(server_state)]


def _identify(request: Request, state: ServerState, key: str | None, header: str | None) -> Caller:
    ip = request.client.host if request.client else ""
    return state.limiter.identify(header or key, ip)


def caller(
    request: Request, state: State, key: KeyParam = None, x_trace_key: TraceKey = None
) -> Caller:
    """Who is asking: a key's owner, or an anonymous IP address; BadKey (403) for a wrong key."""
    return _identify(request, state, key, x_trace_key)


CallerDep = Annotated[Caller, Depends(caller)]


def admin(
    request: Request, state: State, key: KeyParam = None, x_trace_key: TraceKey = None
) -> Caller:
    """The admin, or BadKey (403): admin routes depend on this."""
    if not state.settings.admin_key:
        raise BadKey("admin actions are disabled on this server (no admin_key is set)")
    who = _identify(request, state, key, x_trace_key)
    if not who.admin:
        raise BadKey("this needs the admin key")
    return who


def base_url(request: Request, state: State) -> str:
    """Where clients reach this server (see sabi.serve.origin.own_base)."""
    return own_base(request.scope, state.settings.public_url)


BaseUrl = Annotated[str, Depends(base_url)]
