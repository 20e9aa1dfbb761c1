"""``GET`` and ``POST /search``: trace.moe's search, with its parameters and answer.

Both methods are one endpoint with one parameter dependency. trace.moe's flags are strings
(``?anilistInfo`` is present-or-absent), so they are read here and a bad value is a 400 with
words, not FastAPI's 422.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from sabi.errors import BadInput
from sabi.search.models import SceneResult
from sabi.serve.anilist import short_info, show_rows
from sabi.serve.fetch import fetch_url
from sabi.serve.hangup import until_done
from sabi.serve.http_errors import ERRORS, rate_limit_headers
from sabi.serve.inputs import no_input, read_query
from sabi.serve.keys import Admission, Charge
from sabi.serve.routes.deps import BaseUrl, CallerDep, State
from sabi.serve.schemas import AniListInfo, ResultOut, SearchOut, ShotsOut
from sabi.serve.schemas import ShotOut as ShotOutHttp
from sabi.serve.state import ServerState

TRUE_WORDS = {"", "1", "true", "yes", "on", "2"}
FALSE_WORDS = {"0", "false", "no", "off"}

Url = Annotated[str | None, Query(description="Fetch the query image from this http(s) URL.")]
Cut = Annotated[str | None, Query(description="Cut black borders (present or 1: yes; 0: no).")]
ShowId = Annotated[str | None, Query(description="Only this show id (trace.moe's name).")]
Info = Annotated[
    str | None, Query(description="Give show details (AniList-shaped) instead of the id.")
]
Title = Annotated[str | None, Query(description="Only the show with this title.")]
Tag = Annotated[str | None, Query(description="Only shows with this tag.")]
Limit = Annotated[str | None, Query(description="Scenes to return (1-100).")]
Exact = Annotated[
    str | None,
    Query(description="Name the exact frame from the source video (1: yes; 0: no; slower)."),
]


def flag(value: str | None, name: str) -> bool | None:
    """trace.moe's flags are present-or-absent (``?anilistInfo``); 0/false turn them off."""
    if value is None:
        return None
    v = value.strip().lower()
    if v in TRUE_WORDS:
        return True
    if v in FALSE_WORDS:
        return False
    raise BadInput(f"{name} must be 1 or 0 (or simply present)")


def whole(value: str | None, name: str, lo: int, hi: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        n = int(value)
    except ValueError:
        raise BadInput(f"{name} must be a whole number") from None
    if not lo <= n <= hi:
        raise BadInput(f"{name} must be between {lo} and {hi}")
    return n


@dataclass(frozen=True)
class SearchParams:
    """The query parameters of /search, read and checked."""

    url: str | None
    cut_borders: bool | None
    anilist_info: bool
    show_id: int | None
    show: str | None
    tag: str | None
    limit: int | None
    exact: bool | None


def search_params(
    url: Url = None,
    cutBorders: Cut = None,
    anilistID: ShowId = None,
    anilistInfo: Info = None,
    show: Title = None,
    tag: Tag = None,
    limit: Limit = None,
    exact: Exact = None,
) -> SearchParams:
    return SearchParams(
        url=url or None,
        cut_borders=flag(cutBorders, "cutBorders"),
        anilist_info=bool(flag(anilistInfo, "anilistInfo")),
        show_id=whole(anilistID, "anilistID", 0, 2**31 - 1),
        show=show or None,
        tag=tag or None,
        limit=whole(limit, "limit", 1, 100),
        exact=flag(exact, "exact"),
    )


def search_room(state: State) -> None:
    """503 before the upload is read when no search could start: a full pool must not make
    clients send megabytes only to be turned away."""
    state.search_pool.check_room()


def admitted(
    response: Response,
    state: State,
    who: CallerDep,
    _room: Annotated[None, Depends(search_room)],
    _params: Annotated[SearchParams, Depends(search_params)],
) -> Admission:
    """The caller, let in: counted in the minute (RateLimited: 429) and charged one search
    (QuotaSpent: 402) in one database transaction, shared by every server process. After the
    free checks (room, parameters: their refusals cost nothing) and before the upload is
    read, so a spent quota is refused before megabytes arrive. A sync dependency: FastAPI runs
    it on a worker thread, off the event loop (on it, every commit stalled all requests)."""
    admission = state.limiter.admit(who)
    response.headers.update(rate_limit_headers(admission.rate))
    return admission


async def query_bytes(request: Request, state: ServerState, url: str | None) -> bytes:
    """The image or video to search: uploaded, posted, or fetched from ``url``."""
    s = state.settings
    query = await read_query(request, s.max_upload_bytes, url)
    data = query.data
    if data is None and query.url:
        data = await fetch_url(
            query.url,
            max_bytes=s.max_upload_bytes,
            timeout=s.fetch_timeout,
            allow_private=s.allow_private_urls,
        )
    if data is None:
        raise no_input()
    if not data:
        raise BadInput("the file is empty")
    return data


def with_previews(
    scenes: list[SceneResult], state: ServerState, root: str, info: bool
) -> list[ResultOut]:
    """The library's scenes with their preview links and, asked for, AniList-shaped details."""
    shows = {r.id: short_info(r) for r in show_rows(state.sabi.catalog)} if info else {}
    out = []
    for scene in scenes:
        token = state.signer.sign(scene.episode_id, scene.at)
        anilist: int | AniListInfo = shows.get(scene.show.id, scene.show.id)
        fields: dict[str, Any] = scene.model_dump(exclude={"anilist"})
        out.append(
            ResultOut(
                **fields,
                anilist=anilist,
                video=f"{root}/video/{token}?size=m",
                image=f"{root}/image/{token}?size=m",
            )
        )
    return out


async def charged[T](
    request: Request,
    state: ServerState,
    charge: Charge,
    url: str | None,
    fn: Callable[..., T],
    **kwargs: Any,
) -> T:
    """The query read (uploaded, posted or fetched from ``url``) and ``fn(data, **kwargs,
    cancel=...)`` run on it in the search pool, under ``charge`` (taken by ``admitted`` before
    the upload was read, so concurrent searches cannot overspend): it is refunded if the search
    does not run to the end (a bad upload, busy, undecodable, the client gone)."""
    gone = threading.Event()  # set if the client hangs up while the search runs
    try:
        data = await query_bytes(request, state, url)
        # decoding stops between frames once the client is gone
        work = state.search_pool.run(fn, data, **kwargs, cancel=gone.is_set)
        return await until_done(request, work, gone)
    except asyncio.CancelledError:  # the request itself was cancelled: no awaiting now
        state.limiter.refund(charge)
        raise
    except BaseException:
        await run_in_threadpool(state.limiter.refund, charge)
        raise


async def search(
    request: Request,
    state: State,
    root: BaseUrl,
    admission: Annotated[Admission, Depends(admitted)],
    params: Annotated[SearchParams, Depends(search_params)],
) -> SearchOut:
    charge = admission.charge
    answer = await charged(
        request,
        state,
        charge,
        params.url,
        state.sabi.search,
        cut_borders=params.cut_borders,
        show=params.show,
        show_id=params.show_id,
        tag=params.tag,
        limit=params.limit,
        exact=params.exact,
    )
    result = with_previews(answer.result, state, root, params.anilist_info)
    return SearchOut(
        frameCount=answer.frameCount,
        error=answer.error,
        found=answer.found,
        result=result,
        quota=charge.quota,
        quotaUsed=charge.used,
    )


async def shots(
    request: Request,
    state: State,
    root: BaseUrl,
    admission: Annotated[Admission, Depends(admitted)],
    params: Annotated[SearchParams, Depends(search_params)],
) -> ShotsOut:
    """A whole clip, cut into shots, each searched: one search of the quota, run while the
    request waits; the clip may be at most ``max_shots_seconds`` long and ``max_upload_bytes``
    big (413 beyond either)."""
    charge = admission.charge
    if params.limit is not None:  # a bad parameter costs nothing: give the search back
        await run_in_threadpool(state.limiter.refund, charge)
        raise BadInput("limit does not apply to /shots (each shot gets its best scene)")
    answer = await charged(
        request,
        state,
        charge,
        params.url,
        state.sabi.shots,
        cut_borders=params.cut_borders,
        show=params.show,
        show_id=params.show_id,
        tag=params.tag,
    )
    found = [s.result for s in answer.shots if s.result is not None]
    linked = iter(with_previews(found, state, root, params.anilist_info))
    out = [
        ShotOutHttp(
            start=s.start,
            end=s.end,
            similarity=s.similarity,
            result=None if s.result is None else next(linked),
        )
        for s in answer.shots
    ]
    return ShotsOut(
        frameCount=answer.frameCount,
        error=answer.error,
        shots=out,
        quota=charge.quota,
        quotaUsed=charge.used,
    )


UPLOAD_BODY = {
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

router = APIRouter(tags=["search"], responses=ERRORS)
summary = "Find the scenes an image comes from"
router.add_api_route(
    "/search",
    search,
    methods=["GET"],
    summary=summary,
    description="Search by ``?url=``. trace.moe clients work unchanged.",
    response_model=SearchOut,
    operation_id="search_get",
)
router.add_api_route(
    "/search",
    search,
    methods=["POST"],
    summary=summary,
    description="Search by an upload (multipart ``image`` or ``file``), a raw body, or ``?url=``.",
    response_model=SearchOut,
    operation_id="search_post",
    openapi_extra=UPLOAD_BODY,
)
router.add_api_route(
    "/shots",
    shots,
    methods=["POST"],
    summary="Break a clip (an AMV, a compilation) into shots and find each one",
    description="The clip as for POST /search (upload, raw body or ``?url=``), at most "
    "``max_shots_seconds`` long (413 beyond). Answered when done; counts as one search.",
    response_model=ShotsOut,
    operation_id="shots_post",
    openapi_extra=UPLOAD_BODY,
)
