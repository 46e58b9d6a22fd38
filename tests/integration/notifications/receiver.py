"""A test double of the notification services' HTTP APIs: a real HTTP server on 127.0.0.1 that records every
request and answers each path with what the service's public documentation says it answers.

Answers recorded from the services' docs:
- Slack incoming webhook: 200 `ok` (text/plain); an unknown hook 404 `no_service`. Web API `chat.postMessage`
  and `chat.update`: 200 JSON `{"ok": true, "channel": "C123", "ts": "1503435956.000247", "message": {...}}`,
  or `{"ok": false, "error": "channel_not_found"}` (still 200); the token in `Authorization: Bearer xoxb-...`.
- Microsoft Teams incoming webhook: 200 `1`.
- Discord webhook: 204 No Content (without `?wait=true`).
- Google Chat webhook: 200 JSON of the created message (`{"name": "spaces/.../messages/...", ...}`).
- Zulip incoming webhook: 200 `{"result": "success", "msg": ""}`.
- Telegram Bot API `POST /bot<token>/sendMessage`: 200 `{"ok": true, "result": {"message_id": 1, ...}}`; a bad
  token 401 `{"ok": false, "error_code": 401, "description": "Unauthorized"}`.
- PagerDuty Events API v2 `POST /v2/enqueue`: 202 `{"status": "success", "message": "Event processed",
  "dedup_key": "..."}`.
- Opsgenie `POST /v2/alerts` with `Authorization: GenieKey <key>`: 202 `{"result": "Request will be processed",
  "took": 0.302, "requestId": "..."}`.
- Zenduty `POST /api/events/<integration key>/`: 201 JSON of the event.
- Sentry envelope `POST /api/<project>/envelope/?sentry_key=...`: 200 `{"id": "<event id>"}`.
- Twilio Notify `POST /v1/Services/<sid>/Notifications` (form-encoded, HTTP basic auth): 201 JSON.
- GitLab REST API v4 `POST /api/v4/projects/<id>/issues` (PRIVATE-TOKEN header): 201 JSON of the issue
  (`id`, `iid`, `web_url`, ...); `GET` of the same path: 200 JSON list of issues.
- Slack Web API `conversations.history`: 200 `{"ok": true, "messages": [{"type": "message", "user", "text",
  "ts"}, ...], "has_more": true, "response_metadata": {"next_cursor": "..."}}`, the last page with an empty
  `next_cursor`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


Reply = tuple[int, str, bytes]  # status, content type, body
Route = Callable[[Received], Reply]


def text(status: int, body: str) -> Route:
    return lambda _: (status, "text/plain", body.encode())


def as_json(status: int, body: Any) -> Route:
    return lambda _: (status, "application/json", json.dumps(body).encode())


class Receiver:
    """The server: `routes` maps a path prefix to its answer; every request is kept in `received`."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.received: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                receiver.received.append(request)
                route = max((p for p in receiver.routes if self.path.startswith(p)), key=len, default=None)
                status, kind, body = (
                    receiver.routes[route](request) if route else (404, "text/plain", b"no_service")
                )
                self.send_response(status)
                if status != 204:
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 204:
                    self.wfile.write(body)

        Handler.do_GET = Handler.do_POST  # type: ignore[method-assign]  # the read APIs (GitLab's issue search)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def last(self) -> Received:
        assert self.received, "the service received nothing"
        return self.received[-1]
