"""Live lessons: go live, send views, follow them (server-sent events), the QR code, the follow page.

The reference is docs/api.md ("Live lessons"). A view is data: it is checked to be a JSON
object, kept and sent as JSON text, and never put into HTML by the server.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

import segno
from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, StreamingResponse

from ..live import Broker, get_broker
from ..live.broker import Follower, Latest, LiveError, Unknown, WrongKey, normal_code, view_frame
from ..schemas import ErrorResponse, LiveCreated, LiveLatest, Responses
from ..settings import get_settings
from ..templating import templates
from . import svg_route

router = APIRouter(prefix="/api/live", tags=["live"])
pages = APIRouter(tags=["pages"])

T = TypeVar("T")
RETRY_MS = 1000  # how soon a browser reconnects a dropped event stream
# an origin the presenter's page may name for the QR code when public_base_url is not set
ORIGIN = r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$"

ERRORS: Responses = {
    404: {"model": ErrorResponse, "description": "No live lesson has this code (or it has ended)."},
    429: {"model": ErrorResponse, "description": "Too many unknown codes from this address (Retry-After)."},
    503: {"model": ErrorResponse, "description": "At a limit, or Redis is not answering; see Retry-After."},
}


def _http(error: LiveError) -> HTTPException:
    headers = {"Retry-After": str(math.ceil(error.retry_after))} if error.retry_after else None
    if isinstance(error, WrongKey):
        headers = {"WWW-Authenticate": "Bearer"}
    return HTTPException(error.status, detail={"message": error.message}, headers=headers)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _blocked(broker: Broker, client: str) -> HTTPException | None:
    wait = await broker.blocked_for(client)
    if wait is None:
        return None
    limit = get_settings().live_max_misses
    message = f"more than {limit} unknown lesson codes from this address; try again in {math.ceil(wait)} s"
    return HTTPException(429, detail={"message": message}, headers={"Retry-After": str(math.ceil(wait))})


async def _look_up(request: Request, code: str, action: Callable[[str], Awaitable[T]]) -> T:
    """``action(code)``, counting an unknown code against the client; 429 once it has too many."""
    broker = get_broker()
    client = _client(request)
    try:
        blocked = await _blocked(broker, client)
        if blocked is not None:
            raise blocked
        known = normal_code(code)
        try:
            if known is None:
                raise Unknown(f"no live lesson has the code {code[:20]!r}")
            return await action(known)
        except Unknown:
            await broker.miss(client)
            raise
    except LiveError as error:
        raise _http(error) from None


@router.post("", status_code=201, response_model=LiveCreated, responses={503: ERRORS[503]})
async def go_live() -> LiveCreated:
    """Start a live lesson. Keep the key secret: it is what lets you send views."""
    try:
        code, key = await get_broker().create()
    except LiveError as error:
        raise _http(error) from None
    return LiveCreated(code=code, key=key, follow=f"/follow/{code}")


def _bearer(authorization: str | None) -> str:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        message = "send the lesson's key as `Authorization: Bearer <key>`"
        raise HTTPException(401, detail={"message": message}, headers={"WWW-Authenticate": "Bearer"})
    return key.strip()


def _view_json(view: dict[str, Any]) -> str:
    try:
        text = json.dumps(view, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (ValueError, RecursionError):
        message = "the view must be plain JSON (no NaN or Infinity, not nested thousands deep)"
        raise RequestValidationError([{"type": "value_error", "loc": ("body",), "msg": message}]) from None
    limit = get_settings().live_max_view_bytes
    if len(text.encode()) > limit:
        raise HTTPException(413, detail={"message": f"the view is larger than the limit of {limit} bytes"})
    return text


@router.put(
    "/{code}",
    status_code=204,
    response_class=Response,
    responses={
        401: {"model": ErrorResponse, "description": "The key is missing or wrong."},
        413: {"model": ErrorResponse, "description": "The view is over live_max_view_bytes."},
        **ERRORS,
    },
)
async def send_view(
    request: Request,
    code: str,
    view: Annotated[dict[str, Any], Body(description="The view: any JSON object the pages agree on.")],
    authorization: Annotated[str | None, Header(description="`Bearer <key>`")] = None,
) -> Response:
    """Make ``view`` the lesson's latest: every follower gets it at once."""
    key = _bearer(authorization)
    text = _view_json(view)
    broker = get_broker()
    known = normal_code(code)
    try:
        if known is not None:
            try:
                await broker.publish(known, key, text)  # the presenter: never held back by the 429
                return Response(status_code=204)
            except (Unknown, WrongKey) as error:
                failure: LiveError = error
        else:
            failure = Unknown(f"no live lesson has the code {code[:20]!r}")
        blocked = await _blocked(broker, _client(request))  # else 401 or 404 would tell codes apart
        if blocked is not None:
            raise blocked
        if isinstance(failure, Unknown):
            await broker.miss(_client(request))
        raise failure
    except LiveError as error:
        raise _http(error) from None


@router.get("/{code}", responses={200: {"model": LiveLatest}, **ERRORS})
async def latest_view(request: Request, code: str) -> Response:
    """The lesson's latest view (null before the presenter sends one)."""
    latest = await _look_up(request, code, get_broker().latest)
    body = f'{{"seq":{latest.seq},"view":{latest.view or "null"}}}'
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


async def _follower(request: Request, code: str) -> AsyncIterator[tuple[Follower, Latest]]:
    # a dependency: 404/429/503 before the stream starts, and the follower leaves however it ends
    broker = get_broker()
    follower, latest = await _look_up(request, code, broker.follow)
    try:
        yield follower, latest
    finally:
        await broker.leave(follower)


async def _still_live(code: str) -> bool:
    try:
        await get_broker().latest(code)
    except Unknown:
        return False
    except LiveError:
        return True  # Redis is away for now: the stream waits for it
    return True


EVENTS_DOC = {
    200: {
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
        "description": "`event: view` (id: its seq, data: the view) for the latest view at once, then "
        "for each new one; `event: end` when the lesson ends.",
    }
}


PING = b": ping\n\n"  # a comment now and then keeps proxies from closing a quiet stream
PING_SECONDS = 15.0


async def _event_frames(follower: Follower, latest: Latest) -> AsyncIterator[bytes]:
    """The stream's bytes: each view is encoded once for all followers (app/live/broker.py)."""
    settings = get_settings()
    if latest.view is not None:
        follower.seq = latest.seq
        yield f"retry: {RETRY_MS}\n".encode() + view_frame(latest.seq, latest.view)
    else:
        yield f"retry: {RETRY_MS}\n: waiting for the first view\n\n".encode()
    deadline = time.monotonic() + settings.live_max_stream_seconds
    checked = time.monotonic()
    while (left := deadline - time.monotonic()) > 0:
        if follower.queue.empty():
            try:
                item = await asyncio.wait_for(
                    follower.queue.get(), min(left, PING_SECONDS, settings.live_check_seconds)
                )
            except TimeoutError:
                if time.monotonic() - checked >= settings.live_check_seconds:
                    checked = time.monotonic()
                    if not await _still_live(follower.code):
                        follower.offer(None)
                yield PING
                continue
        else:
            item = follower.queue.get_nowait()
        if item is None:
            yield b'event: end\ndata: {"reason":"the live lesson has ended"}\n\n'
            return
        seq, frame = item
        if seq > follower.seq:  # after a Redis reconnection a view may come twice
            follower.seq = seq
            yield frame
    # past live_max_stream_seconds: the browser reconnects and gets the latest view again


@router.get("/{code}/events", response_class=StreamingResponse, responses={**EVENTS_DOC, **ERRORS})
async def follow_events(joined: Annotated[tuple[Follower, Latest], Depends(_follower)]) -> StreamingResponse:
    """Follow the lesson: its latest view at once, then every new one, in order."""
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_event_frames(*joined), media_type="text/event-stream", headers=headers)


def follow_address(code: str, base: str | None) -> str:
    configured = get_settings().public_base_url.rstrip("/")
    return f"{configured or (base or '').rstrip('/')}/follow/{code}"


@svg_route(router, "/{code}/qr.svg", "The QR code.", ERRORS)
async def follow_qr(
    request: Request,
    code: str,
    base: Annotated[
        str | None,
        Query(
            pattern=ORIGIN,
            max_length=200,
            description="The origin students reach (https://host:port); public_base_url wins if set.",
        ),
    ] = None,
) -> Response:
    """A QR code of the follow address, for students' phones."""
    await _look_up(request, code, get_broker().latest)
    known = normal_code(code) or code
    svg = io.BytesIO()
    # light modules white in every theme: phones read dark on light
    segno.make(follow_address(known, base), error="m").save(
        svg, kind="svg", xmldecl=False, scale=8, border=4, dark="#000", light="#fff"
    )
    return Response(svg.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@pages.get("/follow/{code}", response_class=HTMLResponse, include_in_schema=False)
def follow_page(request: Request, code: str) -> HTMLResponse:
    known = normal_code(code)
    if known is None:
        raise HTTPException(404, detail={"message": "that is not a lesson code (six letters and digits)"})
    return templates.TemplateResponse(request, "follow.html", {"code": known})
