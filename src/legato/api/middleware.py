"""ASGI middleware: NUL rejection and request metrics (authentication is in auth.py).

Pure ASGI rather than Starlette's BaseHTTPMiddleware, so streamed responses (SSE) pass through untouched.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from legato.api import access
from legato.services import audit
from legato.telemetry import metrics

# The routes that need no credentials (the health probe, the webhook trigger whose key is its credential, sign-in
# and sign-out), from the access table. A request is public only when the router would send it to one of these
# routes: auth.Authenticate compiles each template as the router does and matches the same decoded path, whole,
# so no raw-path prefix, encoding or extra segment widens the list.
PUBLIC_ROUTES = access.PUBLIC_ROUTES


def parse_credentials(text: str) -> tuple[str, str]:
    """'user:password' -> (user, password); ValueError when either part is empty."""
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise ValueError("basic auth must be given as user:password, both non-empty")
    return user, password


class RejectNul:
    """400 for a NUL character anywhere in the path or query: no database stores one in text (PostgreSQL
    refuses it), so such input can only be a mistake or a probe."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            payload = json.dumps(
                {"message": "NUL characters are not allowed in paths or parameters", "details": []}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(payload)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            return
        await self.app(scope, receive, send)


class AuditOrigin:
    """Makes the caller's address the origin of the audit entries the request's writes record."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client") if scope["type"] == "http" else None
        token = audit.ORIGIN.set(client[0] if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            audit.ORIGIN.reset(token)


class RequestMetrics:
    """Counts requests and their latency by route template (not raw path, so label values stay bounded)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            metrics.HTTP_REQUESTS.labels(method, template, str(status["code"])).inc()
            metrics.HTTP_DURATION.labels(method, template).observe(time.perf_counter() - started)
