"""The graph API: a program in, its graph with every data and grad (and a picture) out."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from engine.export import to_python
from engine.expr import ExprError

from ..graph import Answer, GraphService, get_service
from ..render import RenderError
from ..schemas import (
    BadRequestResponse,
    ErrorResponse,
    ExportRequest,
    ExportResponse,
    GraphRequest,
    GraphResponse,
    Theme,
    UnprocessableResponse,
)

router = APIRouter(prefix="/api", tags=["graph"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": BadRequestResponse, "description": "The program has an error (message, line, column)."},
    413: {"model": ErrorResponse, "description": "The request body is over the size limit."},
    422: {
        "model": UnprocessableResponse,
        "description": "Invalid fields (a list of errors), or a graph too big to lay out (a message).",
    },
    503: {"model": ErrorResponse, "description": "Graphviz timed out, failed, is missing or is busy."},
}

# the same program always draws the same picture (app/security.py adds the SVG's own policy)
SVG_HEADERS = {"Cache-Control": "public, max-age=3600"}

Service = Annotated[GraphService, Depends(get_service)]


def _program_error(error: ExprError) -> HTTPException:
    return HTTPException(400, {"message": error.message, "line": error.line, "column": error.column})


def _answer(service: GraphService, request: GraphRequest) -> Answer:
    try:
        return service.answer(request)
    except ExprError as error:
        raise _program_error(error) from None
    except RenderError as error:
        headers = {"Retry-After": "5"} if error.status == 503 else None
        raise HTTPException(error.status, {"message": error.message}, headers=headers) from None


@router.post("/graph", response_model=GraphResponse, responses=ERRORS)
def post_graph(request: GraphRequest, service: Service) -> Response:
    """Parse the program, run backward from its output, check each labeled leaf's grad
    against a central difference, and draw the graph."""
    # the answer is a GraphResponse serialized once when it was built (and cached)
    return Response(_answer(service, request).json, media_type="application/json")


@router.get(
    "/graph.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "The picture."}, **ERRORS},
)
def get_graph_svg(
    service: Service,
    source: Annotated[str, Query(description="The program.")],
    values: Annotated[str | None, Query(description='A JSON object, e.g. {"a": 2}.')] = None,
    theme: Theme = "light",
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
    return Response(_answer(service, request).svg, media_type="image/svg+xml", headers=SVG_HEADERS)


@router.post(
    "/export", response_model=ExportResponse, responses={400: ERRORS[400], 413: ERRORS[413], 422: ERRORS[422]}
)
def post_export(request: ExportRequest) -> ExportResponse:
    """The program as a Python script for micrograd (PyPI) or PyTorch that builds the same graph,
    runs backward and prints the output's value and each labeled leaf's grad."""
    try:
        return ExportResponse(
            target=request.target, code=to_python(request.source, request.values, request.target)
        )
    except ExprError as error:
        raise _program_error(error) from None
