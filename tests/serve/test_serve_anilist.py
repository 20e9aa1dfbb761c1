"""AniList-shaped show details: the GraphQL subset that trace.moe clients send to /anilist."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import BUNNY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sabi.catalog import Catalog
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


# ----- the GraphQL subset against a catalogue of its own (no server needed)

SHOWS = [
    ("Big Buck Bunny", "demo"),
    ("Bunny Girl", None),
    ("Street Bikes", "street"),
    ("葬送のフリーレン", "frieren"),
]
TITLE_KEYS = ("native", "romaji", "english", "userPreferred")
SCALARS = {  # what each field is for a stored show (id, title, tag, episodes)
    "id": lambda r: r[0],
    "episodes": lambda r: r[3],
    "idMal": lambda r: None,
    "isAdult": lambda r: False,
    "synonyms": lambda r: [],
    "type": lambda r: "ANIME",
    "format": lambda r: None,
    "genres": lambda r: [],
    "tags": lambda r: [{"name": r[2]}] if r[2] else [],
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    c = Catalog(f"sqlite:///{tmp_path_factory.mktemp('anilist') / 'catalog.db'}")

    def episode(show_id: int, path: str, status: str) -> None:
        file = {"filename": path, "size": 1, "mtime": 0.0, "fingerprint": "x"}
        c.update_episode(c.begin_episode(show_id, path, **file), status=status)

    for n, (title, tag) in enumerate(SHOWS):
        show_id = c.ensure_show(title, tag)
        for ep in range(n % 3 + 1):  # 1-3 indexed episodes, so `episodes` varies
            episode(show_id, f"{title}/{ep}.mkv", "indexed")
    # A show whose only episode failed is not in the library, so GraphQL never answers it.
    episode(c.ensure_show("Broken", None), "b.mkv", "failed")
    assert len(c.shows()) == len(SHOWS)
    yield c
    c.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_media_answers_are_the_stored_shows(catalog, data):
    rows = {r[0]: r for r in catalog.shows()}
    show_id = data.draw(st.sampled_from([*rows, 0, 999]))
    fields = data.draw(st.lists(st.sampled_from(sorted(SCALARS)), min_size=1, unique=True))
    title_keys = data.draw(st.lists(st.sampled_from(TITLE_KEYS), unique=True))
    alias = data.draw(st.sampled_from(["Media", "show", "m2"]))
    selection = " ".join(fields) + (f" title {{ {' '.join(title_keys)} }}" if title_keys else "")
    head = "" if alias == "Media" else f"{alias}: "
    if data.draw(st.booleans(), label="as a variable"):
        query = f"query ($id: Int) {{ {head}Media(id: $id, type: ANIME) {{ {selection} }} }}"
        out = execute(catalog, query, {"id": show_id})
    else:
        out = execute(catalog, f"{{ {head}Media(id: {show_id}) {{ {selection} }} }}", None)
    if show_id not in rows:
        assert out["data"] == {alias: None}
        assert [e["status"] for e in out["errors"]] == [404]
        return
    row = rows[show_id]
    expected = {f: SCALARS[f](row) for f in fields}
    if title_keys:
        expected["title"] = {k: row[1] for k in title_keys}
    assert out == {"data": {alias: expected}}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    needle=st.text(alphabet="BbunyGirlSetk葬送のフリーレン ", min_size=1, max_size=4),
    per_page=st.integers(1, 5),
    page=st.integers(1, 3),
    ascii_only=st.booleans(),
)
def test_page_search_answers_the_matching_shows(catalog, needle, per_page, page, ascii_only):
    """Page.media(search:) is a case-insensitive substring search of the titles, paged; the
    search string may hold any Unicode, raw or as \\u escapes."""
    literal = json.dumps(needle, ensure_ascii=ascii_only)
    query = (
        f"{{ Page(page: {page}, perPage: {per_page}) {{"
        f" pageInfo {{ total perPage currentPage hasNextPage }}"
        f" media(search: {literal}) {{ id title {{ romaji }} }} }} }}"
    )
    out = execute(catalog, query, None)
    matching = [r for r in catalog.shows() if needle.casefold() in r[1].casefold()]
    chunk = matching[(page - 1) * per_page : page * per_page]
    assert out == {
        "data": {
            "Page": {
                "pageInfo": {
                    "total": len(matching),
                    "perPage": per_page,
                    "currentPage": page,
                    "hasNextPage": page * per_page < len(matching),
                },
                "media": [{"id": r[0], "title": {"romaji": r[1]}} for r in chunk],
            }
        }
    }


def test_variable_defaults_are_used(catalog):
    first = catalog.shows()[0]
    query = f"query ($id: Int = {first[0]}) {{ Media(id: $id) {{ id }} }}"
    assert execute(catalog, query, {}) == {"data": {"Media": {"id": first[0]}}}
    other = catalog.shows()[1][0]
    assert execute(catalog, query, {"id": other}) == {"data": {"Media": {"id": other}}}


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.sampled_from(list('{}()[]:,$!"@.# \nMediaPgeidtl0123')), max_size=80))
def test_any_text_gives_an_answer_not_a_crash(catalog, text):
    """Whatever is sent, the answer is GraphQL-shaped: data, or errors saying why not."""
    out = execute(catalog, text, {})
    assert set(out) <= {"data", "errors"} and "data" in out
    if out["data"] is None:  # the request itself was refused
        assert [e["status"] for e in out["errors"]] == [400]
        assert out["errors"][0]["message"]
    else:
        assert isinstance(out["data"], dict)
        assert all(e["status"] in (400, 404) for e in out.get("errors", []))
