"""AniList-shaped show details: the GraphQL subset that trace.moe clients send to /anilist."""

from __future__ import annotations

import httpx
from conftest import BUNNY
from hypothesis import given, settings
from hypothesis import strategies as st

from sabi.serve.anilist import execute

PICIMAGESEARCH_QUERY = """
query ($id: Int) {
  Media (id: $id, type: ANIME) {
    id idMal
    title { native romaji english }
    type format
    startDate { year month day }
    endDate { year month day }
    coverImage { large }
    synonyms isAdult
  }
}
"""


def _bunny_id(server) -> int:
    return next(s["id"] for s in httpx.get(f"{server.url}/shows").json() if s["title"] == BUNNY)


def test_media_by_id(server):
    show_id = _bunny_id(server)
    for path in ("/anilist", "/anilist/", "/graphql"):
        r = httpx.post(
            server.url + path, json={"query": PICIMAGESEARCH_QUERY, "variables": {"id": show_id}}
        )
        media = r.json()["data"]["Media"]
        assert media["title"] == {"native": BUNNY, "romaji": BUNNY, "english": BUNNY}
        assert media["coverImage"] == {"large": None}
        assert media["startDate"] == {"year": None, "month": None, "day": None}
        assert media["isAdult"] is False and media["synonyms"] == []


def test_page_aliases_and_search(server):
    query = """{ Page(perPage: 5) { pageInfo { total hasNextPage }
                  found: media(search: "bunny") { id t: title { romaji } } } }"""
    data = httpx.post(f"{server.url}/anilist", json={"query": query}).json()["data"]["Page"]
    assert data["pageInfo"] == {"total": 1, "hasNextPage": False}
    assert data["found"][0]["t"]["romaji"] == BUNNY
    ids = {"query": "query($ids:[Int]){Page{media(id_in:$ids){id}}}", "variables": {"ids": [1, 2]}}
    assert len(httpx.post(f"{server.url}/anilist", json=ids).json()["data"]["Page"]["media"]) == 2


def test_not_found_and_syntax_errors_are_graphql_errors(server):
    r = httpx.post(f"{server.url}/anilist", json={"query": "{ Media(id: 99999) { id } }"})
    assert r.json()["errors"][0]["status"] == 404 and r.json()["data"]["Media"] is None
    r = httpx.post(f"{server.url}/anilist", json={"query": "{ Media(id: "})
    assert r.status_code == 200 and r.json()["errors"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('{}()[]:,$!"@.# \nMediaPgeidtl0123')), max_size=80))
def test_any_text_gives_an_answer_not_a_crash(text):
    class NoShows:
        def shows(self):
            return [(1, "A", None, 1)]

    out = execute(NoShows(), text, {})  # type: ignore[arg-type]
    assert "data" in out
