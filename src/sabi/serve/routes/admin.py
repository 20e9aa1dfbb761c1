"""``/admin/...``: index and remove on the server, manage API keys. Every route needs the
admin key (the ``admin`` dependency, which runs before a body is read: see
routes/bodies.py); without an ``admin_key`` setting they all answer 403."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.exceptions import HTTPException

from sabi.errors import BadInput
from sabi.serve.http_errors import ERRORS
from sabi.serve.jobs import IndexJob
from sabi.serve.routes.bodies import documented, json_body
from sabi.serve.routes.deps import State, admin
from sabi.serve.schemas import IndexRequest, KeyOut, KeyRequest

router = APIRouter(prefix="/admin", tags=["admin"], responses=ERRORS, dependencies=[Depends(admin)])


@router.post("/index", status_code=202, openapi_extra=documented(IndexRequest))
def index(
    state: State, body: Annotated[IndexRequest, Depends(json_body(IndexRequest))]
) -> IndexJob:
    """Index files or folders on the server, in the background; poll /admin/jobs/{id}."""
    missing = [p for p in body.paths if not Path(p).exists()]
    if missing:
        raise BadInput(f"not found on the server: {', '.join(missing[:3])}")
    return state.jobs.start(body.paths, body.show, body.tag)


@router.get("/jobs/{job_id}")
def job(state: State, job_id: str) -> IndexJob:
    found = state.jobs.get(job_id)
    if found is None:
        raise HTTPException(404, "no such job")
    return found


def _removed(count: int, what: str) -> dict[str, int]:
    if not count:
        raise HTTPException(404, f"no such {what}")
    return {"removed": count}


@router.delete("/episodes/{episode_id}")
def remove_episode(state: State, episode_id: int) -> dict[str, int]:
    return _removed(state.sabi.remove(episode_id=episode_id), "episode")


@router.delete("/shows/{show_id}")
def remove_show(state: State, show_id: int) -> dict[str, int]:
    return _removed(state.sabi.remove(show_id=show_id), "show")


@router.get("/keys")
def keys(state: State) -> list[KeyOut]:
    return [KeyOut(**asdict(k), used=state.keys.used(k.id)) for k in state.keys.list()]


@router.post("/keys", status_code=201, openapi_extra=documented(KeyRequest))
def create_key(state: State, body: Annotated[KeyRequest, Depends(json_body(KeyRequest))]) -> KeyOut:
    quota = state.settings.key_quota if body.quota is None else body.quota
    info, secret = state.keys.create(body.name, quota)
    return KeyOut(**asdict(info), key=secret)


@router.delete("/keys/{key_id}")
def revoke_key(state: State, key_id: int) -> dict[str, bool]:
    if not state.keys.revoke(key_id):
        raise HTTPException(404, "no such key, or it is already revoked")
    return {"revoked": True}
