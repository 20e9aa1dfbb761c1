"""OpenAPI at /openapi.json and Swagger UI at /docs, served without any CDN."""

from __future__ import annotations

import re

import httpx


def test_openapi_describes_the_api(server):
    spec = httpx.get(f"{server.url}/openapi.json").json()
    paths = spec["paths"]
    for path in ("/search", "/image/{token}", "/video/{token}", "/me", "/status", "/anilist"):
        assert path in paths
    assert {"get", "post"} <= set(paths["/search"])
    body = paths["/search"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body and "image/*" in body
    # every error is documented with the one error shape
    for ops in paths.values():
        for op in ops.values():
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}


def test_docs_page_loads_its_assets_locally(server):
    html = httpx.get(f"{server.url}/docs").text
    assert "SwaggerUIBundle" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert not asset.startswith(("http://", "https://", "//")), asset
        r = httpx.get(f"{server.url}/{asset.lstrip('/')}")
        assert r.status_code == 200, asset


def test_page_and_its_files(server):
    html = httpx.get(server.url + "/").text
    assert "Drop a screenshot" in html and "Big Buck Bunny" in html and "CC BY 3.0" in html
    for asset in ("static/app.js", "static/style.css", "static/favicon.svg"):
        assert httpx.get(f"{server.url}/{asset}").status_code == 200
