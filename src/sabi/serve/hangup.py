"""Noticing that a client hung up while its search runs, so the work can be called off.

A search runs on a worker thread; the request's coroutine only waits for it. ``until_done``
waits for both the work and the client: if the client goes first, a ``threading.Event`` is
set (the search's cancel hook reads it between decoded frames, so the thread stops early) and
ClientDisconnect is raised (logged as one quiet line by http_errors, and the quota charged
for the search is given back by the route).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from starlette.requests import ClientDisconnect, Request

POLL_SECONDS = 0.25


async def _watch(request: Request, gone: threading.Event) -> None:
    while not await request.is_disconnected():
        await asyncio.sleep(POLL_SECONDS)
    gone.set()


async def until_done[T](request: Request, work: Coroutine[Any, Any, T], gone: threading.Event) -> T:
    """``work``'s result; ClientDisconnect (with ``gone`` set) if the client leaves first."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_watch(request, gone))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    if task.done():
        return task.result()
    task.cancel()  # a search still queued is dropped; a running one sees ``gone``
    raise ClientDisconnect()
