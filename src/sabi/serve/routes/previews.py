"""``/image/{token}`` and ``/video/{token}``: the previews a search result links to.

The token is a signed, expiring (episode, moment) pair (sabi.serve.tokens); rendering runs on
the preview pool (sabi.serve.previews), so slow encodes never hold up searches.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sabi.serve.http_errors import ERRORS
from sabi.serve.routes.deps import State
from sabi.serve.routes.search import FALSE_WORDS

Size = Annotated[str, Query(pattern="^[sml]$", description="s (160 px), m (320), l (640).")]
Mute = Annotated[str | None, Query(description="Present: no sound.")]

router = APIRouter(tags=["previews"], responses=ERRORS)


def cache_headers(expires: int) -> dict[str, str]:
    left = max(0, int(expires - time.time()))
    return {"cache-control": f"public, max-age={left}", "vary": "Accept"}


@router.get(
    "/image/{token}",
    responses={200: {"content": {"image/jpeg": {}, "image/webp": {}}}},
    response_class=Response,
)
async def image(request: Request, state: State, token: str, size: Size = "m") -> Response:
    """The frame at the matched moment: WebP if the client accepts it, else JPEG."""
    preview = state.signer.verify(token)
    fmt = "webp" if "image/webp" in request.headers.get("accept", "") else "jpeg"
    out = await state.preview_pool.run(
        state.previews.image, preview.episode_id, preview.at, size, fmt
    )
    return Response(out.body, media_type=out.media_type, headers=cache_headers(preview.expires))


@router.get(
    "/video/{token}",
    responses={200: {"content": {"video/mp4": {}}}, 206: {"description": "A byte range."}},
    response_class=Response,
)
async def video(
    request: Request, state: State, token: str, size: Size = "m", mute: Mute = None
) -> Response:
    """A short H.264 clip of the matched scene, at most ±5 s, never across a shot change."""
    preview = state.signer.verify(token)
    muted = mute is not None and mute.lower() not in FALSE_WORDS
    out = await state.preview_pool.run(
        state.previews.video, preview.episode_id, preview.at, size, muted
    )
    headers = {**cache_headers(preview.expires), "accept-ranges": "bytes"}
    headers.pop("vary")
    headers["x-match-offset"] = f"{out.offset:.3f}"  # seconds into the clip
    headers["access-control-expose-headers"] = "x-match-offset"
    return ranged(out.body, out.media_type, request.headers.get("range"), headers)


def ranged(body: bytes, media_type: str, header: str | None, headers: dict[str, str]) -> Response:
    """Serve one byte range when asked (Safari asks before it plays a video)."""
    total = len(body)
    if not header or not header.startswith("bytes=") or "," in header:
        return Response(body, media_type=media_type, headers=headers)
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
    return Response(b"", status_code=416, headers={**headers, "content-range": f"bytes */{total}"})
