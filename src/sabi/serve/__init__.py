"""The HTTP API and web page: ``sabi serve``. See sabi.serve.app.create_app."""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any):
    from sabi.serve.app import create_app as _create

    return _create(*args, **kwargs)


def run(settings, host: str, port: int, log_level: str = "info") -> None:
    """Serve until interrupted (uvicorn, one process: the model and index load once)."""
    import uvicorn

    from sabi.serve.app import create_app as _create

    uvicorn.run(_create(settings), host=host, port=port, log_level=log_level)
