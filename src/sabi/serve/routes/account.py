"""``/me``, ``/status`` and ``/shows``: the caller's quota, the index's health, its shows."""

from __future__ import annotations

from fastapi import APIRouter

from sabi import __version__
from sabi.serve.anilist import show_rows
from sabi.serve.http_errors import ERRORS
from sabi.serve.routes.deps import CallerDep, State
from sabi.serve.schemas import MeOut, ShowListItem, StatusOut, StoreHealth
from sabi.serve.state import ServerState

router = APIRouter(tags=["account"])


@router.get("/me", responses=ERRORS)
def me(state: State, who: CallerDep) -> MeOut:
    """Your search quota over 24 hours and what is used of it (trace.moe's /me)."""
    return MeOut(
        id=who.id,
        priority=0,
        concurrency=state.settings.search_workers,
        quota=who.quota,
        quotaUsed=state.limiter.used(who),
    )


@router.get("/status", responses=ERRORS)
def status(state: State) -> StatusOut:
    """What is indexed, and whether the vector store agrees with the catalogue."""
    try:
        s = state.sabi.stats()
    except Exception as exc:  # a remote store may be down; the catalogue still answers
        return _store_unreadable(state, exc)
    missing = s.frames - s.stored_vectors
    return StatusOut(
        version=__version__,
        shows=s.shows,
        episodes=s.episodes,
        frames=s.frames,
        hours=round(s.hours, 3),
        failed=s.failed,
        descriptor=s.descriptor,
        store=StoreHealth(
            kind=s.store,
            vectors=s.stored_vectors,
            bytes=s.index_bytes,
            healthy=missing <= 0,
            detail=f"{missing} indexed frames have no vector" if missing > 0 else "",
        ),
        searches_running=state.search_pool.busy,
    )


def _store_unreadable(state: ServerState, exc: Exception) -> StatusOut:
    catalog = state.sabi.catalog
    c = catalog.stats()
    return StatusOut(
        version=__version__,
        shows=c.shows,
        episodes=c.episodes,
        frames=c.frames,
        hours=round(c.duration / 3600, 3),
        failed=c.failed,
        descriptor=catalog.get_meta("descriptor"),
        store=StoreHealth(
            kind=state.settings.store,
            vectors=0,
            bytes=0,
            healthy=False,
            detail=f"the store cannot be read: {exc}",
        ),
        searches_running=state.search_pool.busy,
    )


@router.get("/shows")
def shows(state: State) -> list[ShowListItem]:
    """Every show in the index, for filters."""
    return [
        ShowListItem(id=r.id, title=r.title, tag=r.tag, episodes=r.episodes)
        for r in show_rows(state.sabi.catalog)
    ]
