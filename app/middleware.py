"""A pure ASGI middleware that answers 413 to request bodies over a size limit."""

from __future__ import annotations

import json
from collections.abc import Mapping

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


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
    body = json.dumps({"detail": {"message": _message(max_bytes)}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
