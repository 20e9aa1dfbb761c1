"""The HTTP routes, one module per group; ``sabi.serve.app.create_app`` includes them all.

- ``search``: ``GET``/``POST /search`` (one endpoint, one parameter dependency)
- ``previews``: ``/image/{token}``, ``/video/{token}``
- ``account``: ``/me``, ``/status``, ``/shows``
- ``anilist``: ``/anilist`` (``/anilist/``, ``/graphql``), AniList GraphQL
- ``admin``: ``/admin/...`` (index, remove, keys), behind the admin key
- ``pages``: ``/``, ``/static``, ``/docs``
- ``deps``: the dependencies they share (server state, caller, admin check, base URL)

Routes hold no logic of their own beyond HTTP: they call the server state
(sabi.serve.state), whose ``sabi`` is the one application object (sabi.app.Sabi).
"""

from __future__ import annotations

from fastapi import APIRouter

from sabi.serve.routes import account, admin, anilist, pages, previews, search

ROUTERS: list[APIRouter] = [
    search.router,
    previews.router,
    account.router,
    anilist.router,
    admin.router,
    pages.router,
]
