"""The routers, one module per concern; what several of them share is here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from ..schemas import Responses, svg_responses


def svg_route(router: APIRouter, path: str, description: str, errors: Responses) -> Callable[[Any], Any]:
    """``router.get(path)`` for a route that answers an SVG picture (``description``) or ``errors``."""
    return router.get(path, response_class=Response, responses=svg_responses(description, errors))
