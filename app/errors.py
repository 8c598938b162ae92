"""Every error the app answers, and the response it gets. The one place errors become responses:

| error                                     | status | body (always JSON)                              |
|-------------------------------------------|--------|-------------------------------------------------|
| ``ExprError`` (engine: the program)       | 400    | ``{"detail": {message, line, column}}``         |
| ``BodyTooLarge`` (app/middleware.py)      | 413    | ``{"detail": {message}}``                       |
| ``RequestValidationError`` (fields)       | 422    | ``{"detail": [first N errors], ...}`` (bounded) |
| a body FastAPI could not parse            | 422    | the same list, saying why                       |
| ``GraphTooLarge`` (app/render.py)         | 422    | ``{"detail": {message}}``                       |
| ``RenderError`` (dot timed out, missing)  | 503    | ``{"detail": {message}}``, Retry-After: 5       |
| any other ``ServiceError``                | its    | ``{"detail": {message}}`` (503: Retry-After: 5) |
| ``Busy`` (app/slots.py, stream caps)      | 503    | ``{"detail": {message}}``, Retry-After          |
| any other ``HTTPException``               | its    | FastAPI's                                       |
| anything else (app/security.py)           | 500    | a generic message; the traceback goes to the log|

Routes raise these and map nothing themselves. The 422 costs bounded work and size: at most
``max_validation_errors`` errors are listed (plus ``error_count``), and no long input is echoed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import Send

from engine.expr import ExprError

from .settings import get_settings
from .slots import Busy


class ServiceError(Exception):
    """A request that cannot be served, with the HTTP status that says why (each kind gives its
    own: ``class Unknown(LiveError, status=404)``) and, if trying again later may help, after how
    many seconds (``retry_after``)."""

    status = 500

    def __init_subclass__(cls, status: int | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


INTERNAL_ERROR = {"detail": {"message": "something went wrong on the server; the error has been logged"}}
BODY_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's 400 when json.loads fails oddly
MAX_MESSAGE_CHARS = 500  # a message, or one part of a `loc`, is cut after this many characters


def error_body(message: str, **fields: Any) -> dict[str, Any]:
    return {"detail": {"message": message, **fields}}


def _short(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _echo(value: Any) -> tuple[bool, Any]:
    """Whether an input is echoed back (short scalars only), and as what (JSON-safe)."""
    if value is None or isinstance(value, bool | int):
        return (len(str(value)) <= get_settings().max_echoed_input, value)
    if isinstance(value, float):
        return (True, value if math.isfinite(value) else str(value))  # NaN: JSON can't carry it
    if isinstance(value, str) and len(value) <= get_settings().max_echoed_input:
        return (True, value)
    return (False, None)


def _small(error: dict[str, Any]) -> dict[str, Any]:
    """One validation error as type, loc and msg (each bounded), and its input if short."""
    out: dict[str, Any] = {
        "type": str(error.get("type", "value_error")),
        "loc": [part if isinstance(part, int) else _short(str(part), 100) for part in error.get("loc", ())],
        "msg": _short(str(error.get("msg", ""))),
    }
    if "input" in error:
        echoed, value = _echo(error["input"])
        if echoed:
            out["input"] = value
    return out


def validation_content(errors: Sequence[dict[str, Any]]) -> dict[str, Any]:
    limit = get_settings().max_validation_errors
    content: dict[str, Any] = {"detail": [_small(e) for e in errors[:limit]]}
    if len(errors) > limit:
        content["error_count"] = len(errors)
        content["message"] = f"{len(errors)} errors; the first {limit} are listed"
    return content


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's 422, bounded: an input such as ``{"a": Infinity}`` no longer makes it a 500,
    and a body with tens of thousands of bad keys costs no more than one with twenty."""
    return JSONResponse(status_code=422, content=validation_content(exc.errors()))


def _why_unparsable(cause: BaseException | None) -> str:
    if isinstance(cause, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(cause, RecursionError):
        return "it is nested too deeply"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return "a number in it has too many digits"
    return "it could not be read"


async def http_error(request: Request, exc: HTTPException) -> Response:
    """FastAPI's HTTP errors, except that a body FastAPI could not parse (not UTF-8, nested
    thousands deep, a number with thousands of digits) is the 422 of any other invalid JSON
    (an undocumented 400 with a bare string before), saying why."""
    if exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:
        message = f"the request body is not valid JSON: {_why_unparsable(exc.__cause__)}"
        error = {"type": "json_invalid", "loc": ["body"], "msg": message, "input": None}
        return JSONResponse(status_code=422, content={"detail": [error]})
    return await http_exception_handler(request, exc)


async def program_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ExprError)
    return JSONResponse(status_code=400, content=error_body(exc.message, line=exc.line, column=exc.column))


async def service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    headers = {"Retry-After": "5"} if exc.status == 503 else None
    return JSONResponse(status_code=exc.status, content=error_body(exc.message), headers=headers)


async def busy(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Busy)
    headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(status_code=503, content=error_body(exc.message), headers=headers)


def install(app: FastAPI) -> None:
    """Registers the handlers above on the app (app/main.py)."""
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ExprError, program_error)
    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(Busy, busy)


async def send_error(
    send: Send,
    status: int,
    content: dict[str, Any],
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """A JSON error from a pure ASGI middleware (the 413, the 500, a refused stream)."""
    body = json.dumps(content).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*start, *headers]})
    await send({"type": "http.response.body", "body": body})
