"""Security headers on every response, and a generic 500 (app/errors.py) that never shows internals.

A pure ASGI middleware (it also wraps streamed responses without buffering them). It sits
outside every other middleware, so the 413 of the body-size limit and its own 500 carry the
headers too.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import INTERNAL_ERROR, send_error

log = logging.getLogger(__name__)

# The pages: their own scripts, styles, images and API only. No inline script, no inline
# style (the templates and the Graphviz SVG use none), no remote source. img-src allows
# data: and blob: because the page turns the graph into a PNG through a blob: image.
PAGE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# An SVG opened on its own is a document that could run script: forbid it (and everything
# else but its own presentation styles).
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox"

# /docs (Swagger UI, vendored in static/) styles its widgets with inline style attributes.
DOCS_PATH = "/docs"
DOCS_CSP = PAGE_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

HEADERS: dict[bytes, bytes] = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"permissions-policy": PERMISSIONS_POLICY.encode(),
    b"x-frame-options": b"DENY",
    b"cross-origin-opener-policy": b"same-origin",
}


def csp_for(path: str, content_type: bytes) -> str:
    """The policy for a response to this path, of this Content-Type."""
    if content_type.split(b";")[0].strip().lower() == b"image/svg+xml":
        return SVG_CSP
    return DOCS_CSP if path == DOCS_PATH else PAGE_CSP


def _with_headers(headers: list[tuple[bytes, bytes]], csp: str) -> list[tuple[bytes, bytes]]:
    ours = {**HEADERS, b"content-security-policy": csp.encode()}
    return [(k, v) for k, v in headers if k.lower() not in ours] + list(ours.items())


class SecurityHeaders:
    """Adds the headers above to every HTTP response; an unhandled exception becomes a 500
    with a generic JSON message (the traceback goes to the log, never to the client)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                message = {**message, "headers": _with_headers(headers, csp_for(path, content_type))}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started:
                raise  # too late for a 500: the server drops the connection and logs it
            log.exception("unhandled error on %s %s", scope.get("method"), path)
            await send_error(send_with_headers, 500, INTERNAL_ERROR)
