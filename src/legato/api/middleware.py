"""ASGI middleware: HTTP basic authentication (constant-time checks) and request metrics.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, so streamed responses (SSE) pass through untouched.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from legato.api.metrics import Metrics

OPEN_PATHS = frozenset({"/health"})  # probes must work without credentials
WEBHOOK_PATH = re.compile(r"^/api/v1/[^/]+/executions/webhook/")  # the webhook's key is its credential


def parse_credentials(text: str) -> tuple[str, str]:
    """'user:password' -> (user, password); ValueError when either part is empty."""
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise ValueError("basic auth must be given as user:password, both non-empty")
    return user, password


class BasicAuth:
    """Rejects requests without the configured credentials with 401 (except the health probe)."""

    def __init__(self, app: ASGIApp, credentials: tuple[str, str]) -> None:
        self.app = app
        self._user = credentials[0].encode()
        self._password = credentials[1].encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS or WEBHOOK_PATH.match(scope["path"]) \
                or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        payload = json.dumps({"message": "authentication required", "details": []}).encode()
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
            (b"www-authenticate", b'Basic realm="legato"'),
        ]})
        await send({"type": "http.response.body", "body": payload})

    def _allowed(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            user, sep, password = base64.b64decode(token.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        # Both comparisons always run, so timing tells nothing about which part was wrong.
        user_ok = hmac.compare_digest(user, self._user)
        password_ok = hmac.compare_digest(password, self._password)
        return bool(sep) and user_ok and password_ok


class RejectNul:
    """400 for a NUL character anywhere in the path or query: no database stores one in text (PostgreSQL
    refuses it), so such input can only be a mistake or a probe."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            payload = json.dumps({"message": "NUL characters are not allowed in paths or parameters",
                                  "details": []}).encode()
            await send({"type": "http.response.start", "status": 400, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
            await send({"type": "http.response.body", "body": payload})
            return
        await self.app(scope, receive, send)


class RequestMetrics:
    """Counts requests and their latency by route template (not raw path, so label values stay bounded)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

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
            self.metrics.observe(scope["method"], template, status["code"], time.perf_counter() - started)
