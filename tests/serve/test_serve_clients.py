"""Real trace.moe client libraries from PyPI, pointed at sabi, work unchanged."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from conftest import BUNNY


def test_aiotracemoeapi(server, bunny_frame):
    aiotracemoeapi = pytest.importorskip("aiotracemoeapi")

    async def run():
        async with aiotracemoeapi.TraceMoe(base_url=server.url) as api:
            found = await api.search(bunny_frame[1], anilist_info=True)
            me = await api.me()
            bare = await api.search(bunny_frame[1], anilist_info=False, cut_borders=False)
        return found, me, bare

    found, me, bare = asyncio.run(run())
    best = found.best_result
    assert best is not None
    assert best.anilist_info is not None and best.anilist_info.title.romaji == BUNNY
    assert best.episode == 1
    assert best.similarity > 0.8
    assert found.frame_count > 0
    # the preview URLs it builds (size, mute) are served
    assert httpx.get(best.video_url(size="s", mute=True)).status_code == 200
    assert httpx.get(best.image_url(size="l")).headers["content-type"] == "image/jpeg"
    assert me.quota > 0 and me.quota_used >= 1
    assert isinstance(bare.best_result.anilist, int)


def test_aiotracemoeapi_errors_map_to_its_exceptions(server):
    aiotracemoeapi = pytest.importorskip("aiotracemoeapi")
    from aiotracemoeapi import exceptions

    async def run():
        async with aiotracemoeapi.TraceMoe(base_url=server.url, token="bad-key") as api:
            await api.me()

    with pytest.raises(exceptions.ForbiddenError):
        asyncio.run(run())


def test_picimagesearch_with_its_anilist_lookup(server, bunny_frame):
    """PicImageSearch posts the upload as 'file', then asks <base>/anilist (GraphQL) for
    titles, dates and the cover of every result."""
    pis = pytest.importorskip("PicImageSearch")

    async def run():
        async with pis.Network() as client:
            engine = pis.TraceMoe(
                base_url=server.url, base_url_api=server.url, client=client, size="l", mute=True
            )
            return await engine.search(file=bunny_frame[1])

    response = asyncio.run(run())
    assert response.raw, response.origin
    best = response.raw[0]
    assert best.title_romaji == BUNNY and best.title_english == BUNNY
    assert best.episode == 1
    assert best.similarity > 80
    assert best.isAdult is False
    assert httpx.get(best.video).headers["content-type"] == "video/mp4"  # &size=l&mute added
    assert httpx.get(best.image).status_code == 200
