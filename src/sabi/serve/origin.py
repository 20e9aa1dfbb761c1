"""The server's own base URL, for the links it hands out and its page's CSP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def own_base(scope: Mapping[str, Any], public_url: str = "") -> str:
    """``public_url``, or else the address and port the connection came to. Never the Host
    header: a client chooses it, and links built from it would send whoever follows them (a
    shared answer, a cached page) to the client's host."""
    if public_url:
        return public_url.rstrip("/")
    scheme = str(scope.get("scheme", "http"))
    server = scope.get("server") or ("127.0.0.1", None)
    host, port = str(server[0]), server[1]
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(scheme)
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}{scope.get('root_path', '')}".rstrip("/")
