"""Request plumbing: 413 to request bodies over a size limit, caps on event streams (pure ASGI
middlewares), and big JSON bodies parsed off the event loop (a route class)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import anyio
from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_body, send_error
from .settings import get_settings
from .slots import Busy, Slots

SMALL_JSON_BYTES = 16 * 1024  # bodies up to this size are parsed on the event loop (~1 ms)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes the limit (handlers turn it into 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail={"message": _message(limit)})


def _message(limit: int) -> str:
    return f"the request body is larger than the limit of {limit} bytes"


class BodySizeLimit:
    """413 when Content-Length says the body is too big (before reading any of it), or as soon
    as the bytes received pass the limit (bodies without a Content-Length, or lying about it)."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_bytes_under: Mapping[str, int] | None = None):
        self.app = app
        self.default_max_bytes = max_bytes
        self.max_bytes_under = dict(max_bytes_under or {})  # path prefix -> its own limit

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.max_bytes_under.items():
            if path.startswith(prefix):
                return limit
        return self.default_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > max_bytes:
                    await _reject(send, max_bytes)
                    return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge(max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:
                raise
            await _reject(send, max_bytes)


async def _reject(send: Send, max_bytes: int) -> None:
    await send_error(send, 413, error_body(_message(max_bytes)), [(b"connection", b"close")])


@dataclass(eq=False)
class StreamLimits:
    """Caps on event streams (the paths given): at most ``max_streams`` open at once and
    ``max_per_client`` from one client address (more get 503 with Retry-After at once); each
    write must be taken by the client within ``write_timeout`` seconds, and the whole stream
    ends ``write_timeout`` after ``max_seconds`` even if its client stopped reading (the route
    ends it at ``max_seconds`` with a "time limit" event when it can write one)."""

    app: ASGIApp
    paths: set[str]
    max_streams: int
    max_per_client: int
    write_timeout: float
    max_seconds: float
    open: Counter[str] = field(default_factory=Counter)  # client address -> its streams open now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else ""
        if self.open.total() >= self.max_streams or self.open[client] >= self.max_per_client:
            where = "in all" if self.open.total() >= self.max_streams else "from one address"
            limit = self.max_streams if where == "in all" else self.max_per_client
            message = f"too many streams are open {where} (the limit is {limit}); try again in a moment"
            await send_error(send, 503, error_body(message), [(b"retry-after", b"5")])
            return
        self.open[client] += 1
        with anyio.CancelScope() as stream:
            stream.deadline = anyio.current_time() + self.max_seconds + self.write_timeout

            async def send_in_time(message: Message) -> None:
                with anyio.move_on_after(self.write_timeout) as write:
                    await send(message)
                if write.cancelled_caught:
                    stream.cancel()  # the client stopped reading: end the stream's work

            try:
                await self.app(scope, receive, send_in_time)
            finally:
                self.open[client] -= 1
                if self.open[client] <= 0:
                    del self.open[client]


@cache
def _big_body_places() -> Slots:
    settings = get_settings()
    return Slots(settings.max_big_body_parses, settings.big_body_wait_seconds)


class OffLoopJSONRequest(Request):
    """A request whose JSON body is parsed in a worker thread when it is big (a 500 KB body
    takes ~20 ms to parse: on the event loop, a few at once would hold up every other request),
    one big body at a time (max_big_body_parses), shared fairly between client addresses."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            if len(body) <= SMALL_JSON_BYTES:
                self._json = json.loads(body)
            else:
                client = self.client.host if self.client else ""
                try:
                    async with _big_body_places().hold(client):
                        self._json = await run_in_threadpool(json.loads, body)
                except Busy:  # FastAPI lets only an HTTPException out of parsing the body
                    message = "the server is busy reading other large requests; try again in a moment"
                    raise HTTPException(503, {"message": message}, {"Retry-After": "1"}) from None
        return self._json


class OffLoopJSONRoute(APIRoute):
    """Routes whose handlers see an ``OffLoopJSONRequest`` (FastAPI's custom route class)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def off_loop_json(request: Request) -> Response:
            return await handler(OffLoopJSONRequest(request.scope, request.receive))

        return off_loop_json
