"""JSON request bodies read by a dependency, with a size cap, instead of by FastAPI.

FastAPI reads and parses a declared body before any dependency runs, without a size limit:
an anonymous client could make an admin route parse 60 MB before the key was looked at. A
route that takes ``json_body(Model)`` reads at most ``max_json_bytes``, and only after the
dependencies listed before it (the admin check) have passed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from sabi.serve.capped import read_capped as capped
from sabi.serve.routes.deps import server_state


async def read_capped(request: Request, cap: int) -> bytes:
    """The body, or TooLarge (413) as soon as it is declared or read past ``cap`` bytes."""
    return await capped(
        request.stream(),
        request.headers.get("content-length"),
        cap,
        f"the request body is larger than {cap} bytes",
    )


def json_body[M: BaseModel](model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency giving the request's JSON body as ``model`` (422 if it is not one)."""

    async def parse(request: Request) -> M:
        cap = server_state(request).settings.max_json_bytes
        raw = await read_capped(request, cap)
        try:
            return model.model_validate_json(raw or b"null")
        except ValidationError as exc:
            errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from None

    return parse


def documented(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` that documents the body ``json_body(model)`` reads."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }
