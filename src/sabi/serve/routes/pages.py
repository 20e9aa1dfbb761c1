"""The search page (``/`` and ``/static``) and the API's docs (``/docs``, Swagger UI served
from the swagger-ui-py package, so no CDN is asked for anything)."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent.parent / "static"

router = APIRouter(include_in_schema=False)


@cache
def swagger_dir() -> Path | None:
    """swagger-ui-py's copy of Swagger UI's files, if it is installed."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def mount_assets(app: FastAPI) -> None:
    """The page's files, and Swagger UI's (mounts belong to the app, not to a router)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    swagger = swagger_dir()
    if swagger is not None:
        app.mount("/docs-assets", StaticFiles(directory=swagger), name="docs-assets")


@router.get("/")
def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})


@router.get("/docs")
def docs() -> HTMLResponse:
    if swagger_dir() is None:
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
