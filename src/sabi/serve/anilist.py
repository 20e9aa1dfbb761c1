"""Show details in AniList's shape, from sabi's own catalogue.

trace.moe answers ``anilistInfo`` with an AniList object in ``result[].anilist``, and clients
(PicImageSearch, bots) look titles up with AniList GraphQL at ``<trace.moe>/anilist``. sabi's
"AniList id" is its show id, so both are served here from the catalogue: a small GraphQL
subset (``Media(id|search)`` and ``Page { media(id|id_in|search) pageInfo }``, any selection of
fields, variables, aliases) that answers fields sabi does not know with null.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sabi.catalog import Catalog
from sabi.errors import GraphQLError
from sabi.serve.schemas import AniListInfo


@dataclass(frozen=True)
class ShowRow:
    id: int
    title: str
    tag: str | None
    episodes: int


def media(show: ShowRow) -> dict[str, Any]:
    """An AniList ``Media`` object for a show (unknown facts are null)."""
    title = show.title
    empty_date = {"year": None, "month": None, "day": None}
    return {
        "id": show.id,
        "idMal": None,
        "title": {"native": title, "romaji": title, "english": title, "userPreferred": title},
        "synonyms": [],
        "isAdult": False,
        "type": "ANIME",
        "format": None,
        "status": None,
        "episodes": show.episodes,
        "startDate": dict(empty_date),
        "endDate": dict(empty_date),
        "season": None,
        "seasonYear": None,
        "coverImage": {"extraLarge": None, "large": None, "medium": None, "color": None},
        "bannerImage": None,
        "siteUrl": None,
        "genres": [],
        "tags": [{"name": show.tag}] if show.tag else [],
        "description": None,
    }


def show_rows(catalog: Catalog) -> list[ShowRow]:
    return [ShowRow(i, t, g, n) for i, t, g, n in catalog.shows()]


def short_info(show: ShowRow) -> AniListInfo:
    """What trace.moe puts in ``result[].anilist`` when ``anilistInfo`` is given."""
    m = media(show)
    return AniListInfo.model_validate({k: m[k] for k in AniListInfo.model_fields})


# ----- a GraphQL subset


_TOKEN = re.compile(
    r"\s*(?:(?P<comment>#[^\n]*)|(?P<punct>\.\.\.|[{}()\[\]:,!$=@])|(?P<name>[_A-Za-z][_0-9A-Za-z]*)"
    r'|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<string>"(?:[^"\\]|\\.)*"))'
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise GraphQLError(f"Syntax Error: unexpected character at {pos}")
        pos = m.end()
        kind = m.lastgroup
        if kind is not None and kind != "comment":
            out.append((kind, m.group(kind)))
    return out


@dataclass
class Field:
    name: str
    alias: str
    args: dict[str, Any]
    selection: list[Field] | None


MAX_DEPTH = 32  # AniList clients nest 3-4 levels; the parser recurses once per level


def _check_depth(toks: list[tuple[str, str]]) -> None:
    """GraphQLError (400) for nesting deeper than MAX_DEPTH, before the recursive parser
    meets it (a 5000-deep query would otherwise exhaust Python's stack: a 500)."""
    depth = 0
    for kind, value in toks:
        if kind != "punct":
            continue
        if value in "{[(":
            depth += 1
            if depth > MAX_DEPTH:
                raise GraphQLError(f"the query is nested more than {MAX_DEPTH} levels deep")
        elif value in "}])":
            depth -= 1


class _Parser:
    def __init__(self, text: str, variables: dict[str, Any]):
        self.toks = _tokens(text)
        _check_depth(self.toks)
        self.i = 0
        self.vars = dict(variables)

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def at(self, value: str) -> bool:
        """Whether the next token is ``value``."""
        tok = self.peek()
        return tok is not None and tok[1] == value

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise GraphQLError(f"Syntax Error: expected {value or 'more'}")
        self.i += 1
        return tok

    def skip_comma(self) -> None:
        if self.at(","):
            self.take(",")

    def document(self) -> list[Field]:
        if self.at("query"):
            self.take()
            tok = self.peek()
            if tok is not None and tok[0] == "name":
                self.take()
            if self.at("("):
                self._var_defs()
        elif self.at("mutation") or self.at("subscription"):
            raise GraphQLError("only queries are supported")
        fields = self.selection()
        if self.peek() is not None:
            raise GraphQLError("only one operation is supported")
        return fields

    def _var_defs(self) -> None:
        """Skip ``($id: Int = 1, ...)``, keeping defaults for variables not given."""
        self.take("(")
        depth, name = 1, None
        while depth:
            _kind, value = self.take()
            if value == "$":
                name = self.take()[1]
            elif value == "=" and depth == 1 and name is not None:
                default = self.value()
                self.vars.setdefault(name, default)
            elif value == "(":
                depth += 1
            elif value == ")":
                depth -= 1

    def selection(self) -> list[Field]:
        self.take("{")
        fields = []
        while self.peek() is not None and not self.at("}"):
            if self.at("...") or self.at("@"):
                raise GraphQLError("fragments and directives are not supported")
            name = alias = self.take()[1]
            if self.at(":"):
                self.take(":")
                name = self.take()[1]
            args = self.arguments() if self.at("(") else {}
            sub = self.selection() if self.at("{") else None
            fields.append(Field(name, alias, args, sub))
            self.skip_comma()
        self.take("}")
        return fields

    def arguments(self) -> dict[str, Any]:
        self.take("(")
        args = {}
        while self.peek() is not None and not self.at(")"):
            name = self.take()[1]
            self.take(":")
            args[name] = self.value()
            self.skip_comma()
        self.take(")")
        return args

    def value(self) -> Any:
        kind, tok = self.take()
        if tok == "$":
            return self.vars.get(self.take()[1])
        if tok == "[":
            items = []
            while self.peek() is not None and not self.at("]"):
                items.append(self.value())
                self.skip_comma()
            self.take("]")
            return items
        if tok == "{":
            obj = {}
            while self.peek() is not None and not self.at("}"):
                key = self.take()[1]
                self.take(":")
                obj[key] = self.value()
                self.skip_comma()
            self.take("}")
            return obj
        return _scalar(kind, tok)


def _scalar(kind: str, tok: str) -> Any:
    if kind == "number":
        return float(tok) if any(c in tok for c in ".eE") else int(tok)
    if kind == "string":  # GraphQL's escapes are JSON's; titles may be any Unicode
        try:
            return json.loads(tok)
        except ValueError as exc:
            raise GraphQLError("Syntax Error: invalid string") from exc
    if tok in ("true", "false"):
        return tok == "true"
    if tok == "null":
        return None
    return tok  # an enum value such as ANIME


def _project(value: Any, selection: list[Field] | None) -> Any:
    if selection is None or value is None:
        return value
    if isinstance(value, list):
        return [_project(v, selection) for v in value]
    if not isinstance(value, dict):
        return None
    return {f.alias: _project(value.get(f.name), f.selection) for f in selection}


def _matches(rows: list[ShowRow], args: dict[str, Any]) -> list[ShowRow]:
    out = rows
    if args.get("id") is not None:
        out = [r for r in out if r.id == _int(args["id"])]
    if args.get("id_in") is not None:
        wanted = {_int(v) for v in args["id_in"] or []}
        out = [r for r in out if r.id in wanted]
    if args.get("search"):
        needle = str(args["search"]).casefold()
        out = [r for r in out if needle in r.title.casefold()]
    if args.get("type") not in (None, "ANIME"):
        out = []
    return out


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def execute(catalog: Catalog, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
    """Answer a GraphQL request as AniList would: {"data": ...} plus "errors" when any."""
    try:
        fields = _Parser(query or "", variables or {}).document()
    except GraphQLError as exc:
        return {"data": None, "errors": [{"message": str(exc), "status": 400}]}
    rows = show_rows(catalog)
    data: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for f in fields:
        if f.name == "Media":
            found = _matches(rows, f.args)
            if not found:
                errors.append({"message": "Not Found.", "status": 404, "path": [f.alias]})
                data[f.alias] = None
            else:
                data[f.alias] = _project(media(found[0]), f.selection)
        elif f.name == "Page":
            data[f.alias] = _page(rows, f)
        else:
            errors.append({"message": f'Cannot query field "{f.name}"', "status": 400})
            data[f.alias] = None
    return {"data": data, "errors": errors} if errors else {"data": data}


def _page(rows: list[ShowRow], page: Field) -> dict[str, Any]:
    per_page = max(1, min(50, _int(page.args.get("perPage")) or 50))
    number = max(1, _int(page.args.get("page")) or 1)
    out: dict[str, Any] = {}
    for f in page.selection or []:
        if f.name == "media":
            found = _matches(rows, f.args)
            chunk = found[(number - 1) * per_page : number * per_page]
            out[f.alias] = [_project(media(r), f.selection) for r in chunk]
        elif f.name == "pageInfo":
            total = len(
                _matches(
                    rows, next((g.args for g in page.selection or [] if g.name == "media"), {})
                )
            )
            info = {
                "total": total,
                "perPage": per_page,
                "currentPage": number,
                "lastPage": max(1, -(-total // per_page)),
                "hasNextPage": number * per_page < total,
            }
            out[f.alias] = _project(info, f.selection)
        else:
            out[f.alias] = None
    return out
