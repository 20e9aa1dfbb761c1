"""The HTTP API (trace.moe-compatible) and the web page, as one FastAPI application.

uvicorn --factory sabi.serve.app:create_app     # or: sabi serve
"""

from __future__ import annotations

import importlib.util
import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from sabi import __version__
from sabi.errors import BadInput, SabiError
from sabi.search.searcher import Filters
from sabi.serve import schemas
from sabi.serve.anilist import execute as graphql_execute
from sabi.serve.anilist import short_info, show_rows
from sabi.serve.fetch import fetch_url
from sabi.serve.inputs import no_input, read_query
from sabi.serve.keys import BadKey, Caller, RateInfo, RateLimited
from sabi.serve.state import ServerState
from sabi.settings import Settings, load_settings

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
TRUE_WORDS = {"", "1", "true", "yes", "on", "2"}
FALSE_WORDS = {"0", "false", "no", "off"}
ERRORS = {
    c: {"model": schemas.ErrorBody} for c in (400, 402, 403, 404, 405, 410, 413, 429, 500, 503)
}

Key = Annotated[str | None, Query(description="API key (or the x-trace-key header).")]
TraceKey = Annotated[str | None, Header(alias="x-trace-key", include_in_schema=False)]
Url = Annotated[str | None, Query(description="Fetch the query image from this http(s) URL.")]
Cut = Annotated[str | None, Query(description="Cut black borders (present or 1: yes; 0: no).")]
Show = Annotated[str | None, Query(description="Only this show id (trace.moe's name).")]
Info = Annotated[
    str | None, Query(description="Give show details (AniList-shaped) instead of the id.")
]
Title = Annotated[str | None, Query(description="Only the show with this title.")]
Tag = Annotated[str | None, Query(description="Only shows with this tag.")]
Limit = Annotated[str | None, Query(description="Scenes to return (1-100).")]

Size = Annotated[str, Query(pattern="^[sml]$", description="s (160 px), m (320), l (640).")]


def _flag(value: str | None, name: str) -> bool | None:
    """trace.moe's flags are present-or-absent (``?anilistInfo``); 0/false turn them off."""
    if value is None:
        return None
    v = value.strip().lower()
    if v in TRUE_WORDS:
        return True
    if v in FALSE_WORDS:
        return False
    raise BadInput(f"{name} must be 1 or 0 (or simply present)")


def _int(value: str | None, name: str, lo: int, hi: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        n = int(value)
    except ValueError:
        raise BadInput(f"{name} must be a whole number") from None
    if not lo <= n <= hi:
        raise BadInput(f"{name} must be between {lo} and {hi}")
    return n


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _rate_headers(rate: RateInfo | None) -> dict[str, str]:
    if rate is None or rate.limit == 0:
        return {}
    return {
        "x-ratelimit-limit": str(rate.limit),
        "x-ratelimit-remaining": str(rate.remaining),
        "x-ratelimit-reset": str(rate.reset),
    }


def _swagger_dir() -> Path | None:
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    state = ServerState(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
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
    app.state.sabi = state

    # ----- one error shape everywhere

    @app.exception_handler(SabiError)
    async def _sabi_error(_request: Request, exc: SabiError) -> JSONResponse:
        headers = {"retry-after": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return _error(exc.status, str(exc), headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "there is nothing at this address"
        return _error(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "")
        return _error(422, message or "the request is not valid")

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _error(500, "the server failed to answer; this is a bug, please report it")

    # ----- who is asking

    def caller_of(request: Request, key: str | None, header: str | None) -> Caller:
        ip = request.client.host if request.client else ""
        return state.limiter.identify(header or key, ip)

    def require_admin(request: Request, key: str | None, header: str | None) -> Caller:
        if not settings.admin_key:
            raise BadKey("admin actions are disabled on this server (no admin_key is set)")
        caller = caller_of(request, key, header)
        if not caller.admin:
            raise BadKey("this needs the admin key")
        return caller

    def base_url(request: Request) -> str:
        return (settings.public_url or str(request.base_url)).rstrip("/")

    # ----- search

    async def search(
        request: Request,
        url: str | None,
        cutBorders: str | None,
        anilistID: str | None,
        anilistInfo: str | None,
        show: str | None,
        tag: str | None,
        limit: str | None,
        key: str | None,
        header: str | None,
    ) -> JSONResponse:
        caller = caller_of(request, key, header)
        rate = None
        try:
            rate = state.limiter.rate(caller)
        except RateLimited as exc:
            headers = _rate_headers(
                RateInfo(settings.rate_limit, 0, int(time.time()) + exc.retry_after)
            )
            headers["retry-after"] = str(exc.retry_after)
            return _error(429, str(exc), headers)
        cut = _flag(cutBorders, "cutBorders")
        info = bool(_flag(anilistInfo, "anilistInfo"))
        show_id = _int(anilistID, "anilistID", 0, 2**31 - 1)
        n = _int(limit, "limit", 1, 100)
        query = await read_query(request, settings.max_upload_bytes)
        data = query.data
        if data is None and query.url:
            data = await fetch_url(
                query.url,
                max_bytes=settings.max_upload_bytes,
                timeout=settings.fetch_timeout,
                allow_private=settings.allow_private_urls,
            )
        if data is None:
            raise no_input()
        if not data:
            raise BadInput("the file is empty")
        quota, used = state.limiter.charge(caller)
        filters = Filters(show=show or None, show_id=show_id, tag=tag or None)
        response = await state.search_pool.run(
            state.searcher.search_bytes, data, cut_borders=cut, filters=filters, limit=n
        )
        body = response.as_json()
        root = base_url(request)
        shows = {r.id: r for r in show_rows(state.catalog)} if info else {}
        for item in body["result"]:
            token = state.signer.sign(item["episode_id"], item["at"])
            item["video"] = f"{root}/video/{token}?size=m"
            item["image"] = f"{root}/image/{token}?size=m"
            if info and item["show"]["id"] in shows:
                item["anilist"] = short_info(shows[item["show"]["id"]])
            else:
                item["anilist"] = item["show"]["id"]
        body["quota"], body["quotaUsed"] = quota, used
        return JSONResponse(body, headers=_rate_headers(rate))

    search_doc = dict(
        summary="Find the scenes an image comes from",
        responses={200: {"model": schemas.SearchOut}, **ERRORS},
        tags=["search"],
    )
    body_doc = {
        "requestBody": {
            "required": False,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"image": {"type": "string", "format": "binary"}},
                    }
                },
                "image/*": {"schema": {"type": "string", "format": "binary"}},
                "video/*": {"schema": {"type": "string", "format": "binary"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }

    @app.get("/search", **search_doc)
    async def search_get(
        request: Request,
        url: Url = None,
        cutBorders: Cut = None,
        anilistID: Show = None,
        anilistInfo: Info = None,
        show: Title = None,
        tag: Tag = None,
        limit: Limit = None,
        key: Key = None,
        x_trace_key: TraceKey = None,
    ) -> JSONResponse:
        """Search by ``?url=``. trace.moe clients work unchanged."""
        return await search(
            request, url, cutBorders, anilistID, anilistInfo, show, tag, limit, key, x_trace_key
        )

    @app.post("/search", openapi_extra=body_doc, **search_doc)
    async def search_post(
        request: Request,
        url: Url = None,
        cutBorders: Cut = None,
        anilistID: Show = None,
        anilistInfo: Info = None,
        show: Title = None,
        tag: Tag = None,
        limit: Limit = None,
        key: Key = None,
        x_trace_key: TraceKey = None,
    ) -> JSONResponse:
        """Search by an upload (multipart ``image`` or ``file``), a raw body, or ``?url=``."""
        return await search(
            request, url, cutBorders, anilistID, anilistInfo, show, tag, limit, key, x_trace_key
        )

    # ----- previews

    def _cache_headers(expires: int) -> dict[str, str]:
        left = max(0, int(expires - time.time()))
        return {"cache-control": f"public, max-age={left}", "vary": "Accept"}

    @app.get(
        "/image/{token}",
        tags=["previews"],
        responses={200: {"content": {"image/jpeg": {}, "image/webp": {}}}, **ERRORS},
        response_class=Response,
    )
    async def image(request: Request, token: str, size: Size = "m") -> Response:
        """The frame at the matched moment: WebP if the client accepts it, else JPEG."""
        preview = state.signer.verify(token)
        fmt = "webp" if "image/webp" in request.headers.get("accept", "") else "jpeg"
        out = await state.preview_pool.run(
            state.previews.image, preview.episode_id, preview.at, size, fmt
        )
        return Response(
            out.body, media_type=out.media_type, headers=_cache_headers(preview.expires)
        )

    @app.get(
        "/video/{token}",
        tags=["previews"],
        responses={
            200: {"content": {"video/mp4": {}}},
            206: {"description": "A byte range."},
            **ERRORS,
        },
        response_class=Response,
    )
    async def video(
        request: Request,
        token: str,
        size: Size = "m",
        mute: Annotated[str | None, Query(description="Present: no sound.")] = None,
    ) -> Response:
        """A short H.264 clip of the matched scene, at most ±5 s, never across a shot change."""
        preview = state.signer.verify(token)
        muted = mute is not None and mute.lower() not in FALSE_WORDS
        out = await state.preview_pool.run(
            state.previews.video, preview.episode_id, preview.at, size, muted
        )
        headers = {**_cache_headers(preview.expires), "accept-ranges": "bytes"}
        headers.pop("vary")
        headers["x-match-offset"] = f"{out.offset:.3f}"  # seconds into the clip
        headers["access-control-expose-headers"] = "x-match-offset"
        return _ranged(out.body, out.media_type, request.headers.get("range"), headers)

    # ----- account and status

    @app.get("/me", response_model=schemas.MeOut, responses=ERRORS, tags=["account"])
    def me(request: Request, key: Key = None, x_trace_key: TraceKey = None) -> dict[str, Any]:
        """Your search quota over 24 hours and what is used of it (trace.moe's /me)."""
        caller = caller_of(request, key, x_trace_key)
        return {
            "id": caller.id,
            "priority": 0,
            "concurrency": settings.search_workers,
            "quota": caller.quota,
            "quotaUsed": state.limiter.used(caller),
        }

    @app.get("/status", response_model=schemas.StatusOut, responses=ERRORS, tags=["account"])
    def status() -> dict[str, Any]:
        """What is indexed, and whether the vector store agrees with the catalogue."""
        c = state.catalog.stats()
        detail, healthy, vectors, size = "", True, 0, 0
        try:
            vectors = state.store.count()
            size = state.store.size_bytes()
            if vectors < c.frames:
                healthy, detail = False, f"{c.frames - vectors} indexed frames have no vector"
        except Exception as exc:  # a remote store may be down
            healthy, detail = False, f"the store cannot be read: {exc}"
        return {
            "version": __version__,
            "shows": c.shows,
            "episodes": c.episodes,
            "frames": c.frames,
            "hours": round(c.duration / 3600, 3),
            "failed": c.failed,
            "descriptor": state.catalog.get_meta("descriptor"),
            "store": {
                "kind": settings.store,
                "vectors": vectors,
                "bytes": size,
                "healthy": healthy,
                "detail": detail,
            },
            "searches_running": state.search_pool.busy,
        }

    @app.get("/shows", response_model=list[schemas.ShowListItem], tags=["account"])
    def shows() -> list[dict[str, Any]]:
        """Every show in the index, for filters."""
        return [
            {"id": r.id, "title": r.title, "tag": r.tag, "episodes": r.episodes}
            for r in show_rows(state.catalog)
        ]

    # ----- AniList-compatible show details

    def graphql(body: schemas.GraphQLRequest) -> dict[str, Any]:
        """AniList GraphQL, answered from sabi's shows (Media, Page.media)."""
        return graphql_execute(state.catalog, body.query, body.variables)

    for path in ("/anilist", "/anilist/", "/graphql"):
        app.post(path, tags=["anilist"], include_in_schema=path == "/anilist")(graphql)

    # ----- admin

    @app.post("/admin/index", status_code=202, responses=ERRORS, tags=["admin"])
    def admin_index(
        request: Request, body: schemas.IndexRequest, key: Key = None, x_trace_key: TraceKey = None
    ) -> dict[str, Any]:
        """Index files or folders on the server, in the background; poll /admin/jobs/{id}."""
        require_admin(request, key, x_trace_key)
        missing = [p for p in body.paths if not Path(p).exists()]
        if missing:
            raise BadInput(f"not found on the server: {', '.join(missing[:3])}")
        return state.start_index(body.paths, body.show, body.tag).as_json()

    @app.get("/admin/jobs/{job_id}", responses=ERRORS, tags=["admin"])
    def admin_job(
        request: Request, job_id: str, key: Key = None, x_trace_key: TraceKey = None
    ) -> dict[str, Any]:
        require_admin(request, key, x_trace_key)
        job = state.jobs.get(job_id)
        if job is None:
            raise StarletteHTTPException(404, "no such job")
        return job.as_json()

    @app.delete("/admin/episodes/{episode_id}", responses=ERRORS, tags=["admin"])
    def admin_remove_episode(
        request: Request, episode_id: int, key: Key = None, x_trace_key: TraceKey = None
    ) -> dict[str, int]:
        require_admin(request, key, x_trace_key)
        ids = state.catalog.select_episodes(episode_id=episode_id, indexed_only=False)
        if not ids:
            raise StarletteHTTPException(404, "no such episode")
        return {"removed": state.remove(ids)}

    @app.delete("/admin/shows/{show_id}", responses=ERRORS, tags=["admin"])
    def admin_remove_show(
        request: Request, show_id: int, key: Key = None, x_trace_key: TraceKey = None
    ) -> dict[str, int]:
        require_admin(request, key, x_trace_key)
        ids = state.catalog.select_episodes(show_id=show_id, indexed_only=False)
        if not ids:
            raise StarletteHTTPException(404, "no such show")
        return {"removed": state.remove(ids)}

    @app.get("/admin/keys", response_model=list[schemas.KeyOut], responses=ERRORS, tags=["admin"])
    def admin_keys(
        request: Request, key: Key = None, x_trace_key: TraceKey = None
    ) -> list[dict[str, Any]]:
        require_admin(request, key, x_trace_key)
        return [{**k.__dict__, "used": state.keys.used(k.id)} for k in state.keys.list()]

    @app.post(
        "/admin/keys",
        response_model=schemas.KeyOut,
        status_code=201,
        responses=ERRORS,
        tags=["admin"],
    )
    def admin_create_key(
        request: Request, body: schemas.KeyRequest, key: Key = None, x_trace_key: TraceKey = None
    ) -> dict[str, Any]:
        require_admin(request, key, x_trace_key)
        quota = settings.key_quota if body.quota is None else body.quota
        info, secret = state.keys.create(body.name, quota)
        return {**info.__dict__, "key": secret}

    @app.delete("/admin/keys/{key_id}", responses=ERRORS, tags=["admin"])
    def admin_revoke_key(
        request: Request, key_id: int, key: Key = None, x_trace_key: TraceKey = None
    ) -> dict[str, bool]:
        require_admin(request, key, x_trace_key)
        if not state.keys.revoke(key_id):
            raise StarletteHTTPException(404, "no such key, or it is already revoked")
        return {"revoked": True}

    # ----- page and docs

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    swagger = _swagger_dir()
    if swagger is not None:
        app.mount("/docs-assets", StaticFiles(directory=swagger), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if swagger is None:
            return HTMLResponse(
                "<p>Swagger UI is not installed (pip install swagger-ui-py); the API is described "
                'in <a href="openapi.json">openapi.json</a>.</p>'
            )
        return get_swagger_ui_html(
            openapi_url="openapi.json",
            title="sabi API",
            swagger_js_url="docs-assets/swagger-ui-bundle.js",
            swagger_css_url="docs-assets/swagger-ui.css",
            swagger_favicon_url="static/favicon.svg",
        )

    _document_errors(app)
    return app


def _document_errors(app: FastAPI) -> None:
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
        comps.setdefault("ErrorBody", schemas.ErrorBody.model_json_schema())
        app.openapi_schema = schema
        return schema

    app.openapi = openapi


def _ranged(body: bytes, media_type: str, header: str | None, headers: dict[str, str]) -> Response:
    """Serve one byte range when asked (Safari asks before it plays a video)."""
    total = len(body)
    if header and header.startswith("bytes=") and "," not in header:
        first, _, last = header[6:].strip().partition("-")
        try:
            if first:
                start = int(first)
                end = min(total - 1, int(last)) if last else total - 1
            else:
                start, end = max(0, total - int(last)), total - 1
        except ValueError:
            start, end = 0, -1
        if 0 <= start <= end < total:
            return Response(
                body[start : end + 1],
                status_code=206,
                media_type=media_type,
                headers={**headers, "content-range": f"bytes {start}-{end}/{total}"},
            )
        return Response(
            b"", status_code=416, headers={**headers, "content-range": f"bytes */{total}"}
        )
    return Response(body, media_type=media_type, headers=headers)
