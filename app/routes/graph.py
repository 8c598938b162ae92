"""The graph API: a program in, its graph with every data and grad (and a picture) out."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from engine.export import to_python

from ..graph_service import GraphService, get_service
from ..middleware import OffLoopJSONRoute
from ..schemas import (
    BODY_TOO_LARGE,
    BadRequestResponse,
    ErrorResponse,
    ExportRequest,
    ExportResponse,
    GraphRequest,
    GraphResponse,
    Responses,
    ThemeName,
    UnprocessableResponse,
)
from . import svg_route

router = APIRouter(prefix="/api", tags=["graph"], route_class=OffLoopJSONRoute)

ERRORS: Responses = {
    400: {"model": BadRequestResponse, "description": "The program has an error (message, line, column)."},
    413: BODY_TOO_LARGE,
    422: {
        "model": UnprocessableResponse,
        "description": "Invalid fields (a list of errors), or a graph too big to lay out (a message).",
    },
    503: {"model": ErrorResponse, "description": "Graphviz timed out, failed, is missing or is busy."},
}

# the same program always draws the same picture (app/security.py adds the SVG's own policy)
SVG_HEADERS = {"Cache-Control": "public, max-age=3600"}

Service = Annotated[GraphService, Depends(get_service)]


def _client(http: Request) -> str:
    return http.client.host if http.client else ""


# errors (the program's, the picture's, a busy server) become responses in app/errors.py
@router.post("/graph", response_model=GraphResponse, responses=ERRORS)
async def post_graph(request: GraphRequest, service: Service, http: Request) -> Response:
    """Parse the program, run backward from its output, check each labeled leaf's grad
    against a central difference, and draw the graph."""
    # the answer is a GraphResponse serialized once when it was built (and cached)
    answer = await service.answer_async(request, _client(http))
    return Response(answer.json, media_type="application/json")


@router.head("/graph.svg", include_in_schema=False)
@svg_route(router, "/graph.svg", "The picture.", ERRORS)
async def get_graph_svg(
    service: Service,
    http: Request,
    source: Annotated[str, Query(description="The program.")],
    values: Annotated[str | None, Query(description='A JSON object, e.g. {"a": 2}.')] = None,
    theme: ThemeName = "light",
) -> Response:
    """The same picture as POST /api/graph, as an image that can be linked or embedded."""
    try:
        parsed = json.loads(values) if values else {}
    except (ValueError, RecursionError):
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("query", "values"), "msg": "values is not valid JSON"}]
        ) from None
    try:
        request = GraphRequest(source=source, values=parsed, theme=theme)
    except ValidationError as error:
        errors = error.errors(include_url=False, include_context=False)
        raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in errors]) from None
    answer = await service.answer_async(request, _client(http))
    return Response(answer.svg, media_type="image/svg+xml", headers=SVG_HEADERS)


@router.post(
    "/export", response_model=ExportResponse, responses={400: ERRORS[400], 413: ERRORS[413], 422: ERRORS[422]}
)
def post_export(request: ExportRequest) -> ExportResponse:
    """The program as a Python script for micrograd (PyPI) or PyTorch that builds the same graph,
    runs backward and prints the output's value and each labeled leaf's grad."""
    return ExportResponse(
        target=request.target, code=to_python(request.source, request.values, request.target)
    )
