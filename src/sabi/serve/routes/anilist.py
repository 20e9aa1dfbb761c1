"""``POST /anilist`` (also ``/anilist/`` and ``/graphql``): AniList GraphQL, answered from
sabi's shows (see sabi.serve.anilist), where trace.moe clients look titles up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from sabi.serve.anilist import execute
from sabi.serve.routes.bodies import documented, json_body
from sabi.serve.routes.deps import State
from sabi.serve.schemas import GraphQLRequest

router = APIRouter(tags=["anilist"])


def graphql(
    state: State, body: Annotated[GraphQLRequest, Depends(json_body(GraphQLRequest))]
) -> dict[str, Any]:
    """AniList GraphQL, answered from sabi's shows (Media, Page.media)."""
    return execute(state.sabi.catalog, body.query, body.variables)


for path in ("/anilist", "/anilist/", "/graphql"):
    router.add_api_route(
        path,
        graphql,
        methods=["POST"],
        include_in_schema=path == "/anilist",
        openapi_extra=documented(GraphQLRequest),
    )
