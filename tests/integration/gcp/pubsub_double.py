"""A test double of Google Cloud Pub/Sub's REST API v1 (shapes from https://cloud.google.com/pubsub/docs/reference/
rest; Google's emulator needs the gcloud SDK and Java, which do not install here):

- POST /v1/projects/{p}/topics/{t}:publish `{"messages": [{data (base64), attributes, orderingKey}]}` -> 200
  `{"messageIds": [...]}` (at most 1,000 messages a request, each with data or attributes: else 400
  INVALID_ARGUMENT); a missing topic 404 NOT_FOUND.
- GET /v1/projects/{p}/subscriptions/{s} -> the Subscription `{name, topic, ackDeadlineSeconds, ...}` or 404;
  PUT the same path `{topic, ackDeadlineSeconds}` creates it (409 ALREADY_EXISTS when it exists).
- POST .../subscriptions/{s}:pull `{maxMessages}` -> `{"receivedMessages": [{ackId, message: {data, attributes,
  messageId, publishTime, orderingKey}, deliveryAttempt}]}` (`{}` when none is ready); a message pulled and not
  acknowledged within its ack deadline is delivered again. :acknowledge `{ackIds}` and :modifyAckDeadline `{ackIds,
  ackDeadlineSeconds}` -> `{}`.
- Errors as Google's: `{"error": {"code", "message", "status"}}`. With `tokens` (the OAuth double's issued tokens) a
  request needs `Authorization: Bearer <one of them>` (else 401 UNAUTHENTICATED); without, it is an emulator and
  takes none.

A message published to a topic goes to every subscription the topic has then."""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.api_double import ApiDouble, Reply, Request


@dataclass
class Pending:
    message: dict[str, Any]
    visible_at: float = 0.0  # monotonic time it can be pulled again
    attempts: int = 0
    ack_id: str | None = None


@dataclass
class Subscription:
    topic: str
    deadline: int = 10
    pending: list[Pending] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)  # messageIds


def _error(code: int, status: str, message: str) -> Reply:
    return Reply(code, {"error": {"code": code, "message": message, "status": status}})


class PubSubDouble(ApiDouble):
    def __init__(self, project: str = "test-project", topics: tuple[str, ...] = (),
                 tokens: Callable[[], list[str]] | None = None) -> None:
        super().__init__()
        self.project = project
        self.topics: dict[str, list[dict[str, Any]]] = {t: [] for t in topics}  # topic -> published messages
        self.subscriptions: dict[str, Subscription] = {}
        self.tokens = tokens
        self._ids = itertools.count(1)
        base = r"/v1/projects/(?P<project>[^/]+)"
        self.route("POST", base + r"/topics/(?P<topic>[^/:]+):publish", self._publish)
        self.route("GET", base + r"/subscriptions/(?P<sub>[^/:]+)", self._get)
        self.route("PUT", base + r"/subscriptions/(?P<sub>[^/:]+)", self._create)
        self.route("POST", base + r"/subscriptions/(?P<sub>[^/:]+):pull", self._pull)
        self.route("POST", base + r"/subscriptions/(?P<sub>[^/:]+):acknowledge", self._ack)
        self.route("POST", base + r"/subscriptions/(?P<sub>[^/:]+):modifyAckDeadline", self._modify)

    def subscribe(self, topic: str, name: str, deadline: int = 10) -> None:
        self.subscriptions[name] = Subscription(f"projects/{self.project}/topics/{topic}", deadline)

    def dispatch(self, request: Request) -> Reply:
        if self.tokens is not None and request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens():
            with self.lock:
                self.requests.append(request)
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        return super().dispatch(request)

    def _publish(self, request: Request, project: str, topic: str) -> Reply:
        if topic not in self.topics or project != self.project:
            return _error(404, "NOT_FOUND", f"Resource not found (resource={topic}).")
        messages = (request.body or {}).get("messages") or []
        if not messages or len(messages) > 1000 or any(not (m.get("data") or m.get("attributes")) for m in messages):
            return _error(400, "INVALID_ARGUMENT", "Some messages are empty or there are more than 1000.")
        ids = []
        for raw in messages:
            message = {**raw, "messageId": str(next(self._ids)), "publishTime": "2026-12-07T20:00:00.123Z"}
            self.topics[topic].append(message)
            ids.append(message["messageId"])
            for sub in self.subscriptions.values():
                if sub.topic == f"projects/{self.project}/topics/{topic}":
                    sub.pending.append(Pending(message))
        return Reply(200, {"messageIds": ids})

    def _get(self, request: Request, project: str, sub: str) -> Reply:
        if sub not in self.subscriptions:
            return _error(404, "NOT_FOUND", f"Resource not found (resource={sub}).")
        found = self.subscriptions[sub]
        return Reply(200, {"name": f"projects/{project}/subscriptions/{sub}", "topic": found.topic,
                           "ackDeadlineSeconds": found.deadline, "messageRetentionDuration": "604800s"})

    def _create(self, request: Request, project: str, sub: str) -> Reply:
        if sub in self.subscriptions:
            return _error(409, "ALREADY_EXISTS", f"Resource already exists in the project (resource={sub}).")
        body = request.body or {}
        topic = str(body.get("topic", ""))
        if topic.rsplit("/", 1)[-1] not in self.topics:
            return _error(404, "NOT_FOUND", f"Resource not found (resource={topic}).")
        self.subscriptions[sub] = Subscription(topic, int(body.get("ackDeadlineSeconds") or 10))
        return self._get(request, project, sub)

    def _pull(self, request: Request, project: str, sub: str) -> Reply:
        if sub not in self.subscriptions:
            return _error(404, "NOT_FOUND", f"Resource not found (resource={sub}).")
        found = self.subscriptions[sub]
        most = int((request.body or {}).get("maxMessages") or 0)
        if most < 1:
            return _error(400, "INVALID_ARGUMENT", "maxMessages must be positive")
        now = time.monotonic()
        out = []
        for pending in found.pending:
            if len(out) >= most:
                break
            if pending.visible_at <= now:
                pending.attempts += 1
                pending.ack_id = f"ack-{next(self._ids)}"
                pending.visible_at = now + found.deadline
                out.append({"ackId": pending.ack_id, "message": pending.message, "deliveryAttempt": pending.attempts})
        return Reply(200, {"receivedMessages": out} if out else {})

    def _ack(self, request: Request, project: str, sub: str) -> Reply:
        found = self.subscriptions[sub]
        ids = set((request.body or {}).get("ackIds") or [])
        for pending in [p for p in found.pending if p.ack_id in ids]:
            found.pending.remove(pending)
            found.acked.append(pending.message["messageId"])
        return Reply(200, {})

    def _modify(self, request: Request, project: str, sub: str) -> Reply:
        body = request.body or {}
        ids = set(body.get("ackIds") or [])
        for pending in self.subscriptions[sub].pending:
            if pending.ack_id in ids:
                pending.visible_at = time.monotonic() + int(body.get("ackDeadlineSeconds") or 0)
        return Reply(200, {})

    def published(self, topic: str) -> list[tuple[bytes, dict[str, str]]]:
        """(data, attributes) of each message published to `topic`."""
        return [(base64.b64decode(m.get("data") or ""), m.get("attributes") or {}) for m in self.topics[topic]]
