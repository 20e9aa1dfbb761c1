"""One error shape, ``{"error": "..."}``, for every failure on every route.

A SabiError becomes its ``status`` (the one translation of sabi's errors to HTTP); FastAPI's
own errors (404, 405, 422) and crashes (500) get the same shape, and the OpenAPI description
says so for every documented error code.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from sabi.errors import RateLimited, SabiError
from sabi.serve.rates import RateInfo
from sabi.serve.schemas import ErrorBody

log = logging.getLogger(__name__)

# The error answers every route documents.
ERRORS: dict[int | str, dict[str, Any]] = {
    c: {"model": ErrorBody} for c in (400, 402, 403, 404, 405, 410, 413, 429, 500, 503)
}


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def rate_limit_headers(rate: RateInfo) -> dict[str, str]:
    """The x-ratelimit-* headers /search sends (none when there is no limit)."""
    if rate.limit == 0:
        return {}
    return {
        "x-ratelimit-limit": str(rate.limit),
        "x-ratelimit-remaining": str(rate.remaining),
        "x-ratelimit-reset": str(rate.reset),
    }


def _headers_for(exc: SabiError) -> dict[str, str] | None:
    if not isinstance(exc, RateLimited):
        return None
    spent = RateInfo(exc.limit, 0, int(time.time()) + exc.retry_after)
    return {**rate_limit_headers(spent), "retry-after": str(exc.retry_after)}


async def _sabi_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SabiError)
    return error_response(exc.status, str(exc), _headers_for(exc))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = "there is nothing at this address"
    return error_response(exc.status_code, message, dict(exc.headers or {}) or None)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first: dict[str, Any] = dict(errors[0]) if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    msg = str(first.get("msg", ""))
    message = f"{where}: {msg or 'invalid'}" if where else msg
    return error_response(422, message or "the request is not valid")


async def _client_gone(request: Request, _exc: Exception) -> Response:
    """A client that hangs up mid-upload is normal on the internet, not a server error: one
    quiet line, and an answer nobody will read (the connection is gone)."""
    log.info("client %s went away during %s %s", _peer(request), request.method, request.url.path)
    return Response(status_code=400)


def _peer(request: Request) -> str:
    return request.client.host if request.client else "?"


async def _crash(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "the server failed to answer; this is a bug, please report it")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SabiError, _sabi_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _crash)


def document_errors(app: FastAPI) -> None:
    """FastAPI documents 422 with its own body; ours is {"error": ...} like every other."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        ref = {"$ref": "#/components/schemas/ErrorBody"}
        for ops in schema.get("paths", {}).values():
            for op in ops.values():
                responses = op.get("responses", {})
                if "422" in responses:
                    responses["422"] = {
                        "description": "Validation Error",
                        "content": {"application/json": {"schema": ref}},
                    }
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        comps.pop("HTTPValidationError", None)
        comps.pop("ValidationError", None)
        comps.setdefault("ErrorBody", ErrorBody.model_json_schema())
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
