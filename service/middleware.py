"""ASGI middleware: an upload cap, security headers, CORS for the spreadsheet clients' paths.

The cap is counted while the body streams in, so the multipart parser never spools more than it
(FastAPI's own `max_body_size` answers in English plain text; ours in the error JSON, in Chinese).
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

from starlette.exceptions import HTTPException

from .uploads import too_large_message

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class BodyLimit:
    def __init__(self, app: Callable, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            body = json.dumps({"error": {"code": "upload-too-large", "message": too_large_message(self.limit)}},
                              ensure_ascii=False).encode()
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]})
            await send({"type": "http.response.body", "body": body})
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # FastAPI re-raises an HTTPException met while reading the body
                    raise HTTPException(413, detail=too_large_message(self.limit))
            return message

        await self.app(scope, counted, send)


class Headers:
    """Security headers on every response; no Referer, so a department's token link never leaks."""

    BASE = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer")]
    CSP = (b"content-security-policy",
           b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")

    def __init__(self, app: Callable, exempt: tuple[str, ...] = ("/docs",)):
        self.app, self.exempt = app, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.BASE)
        if not scope["path"].startswith(self.exempt):  # swagger-ui's page has an inline script
            extra.append(self.CSP)

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers") or []) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


class PathCORS:
    """CORS for the paths spreadsheet clients call from their own origin, and no others."""

    def __init__(self, app: Callable, origins: list[str], prefixes: tuple[str, ...]):
        from starlette.middleware.cors import CORSMiddleware

        self.app, self.prefixes = app, prefixes
        self.cors = CORSMiddleware(app, allow_origins=origins, allow_methods=["GET", "POST", "OPTIONS"],
                                   allow_headers=["Content-Type"], expose_headers=["X-Taizhang-Exit-Code"],
                                   allow_credentials=False, max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
