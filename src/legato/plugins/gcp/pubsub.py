"""io.kestra.plugin.gcp.pubsub.Publish and Consume, as Kestra's, over Pub/Sub's REST API (https://cloud.google.com/
pubsub/docs/reference/rest): `topics.publish` (POST /v1/projects/{p}/topics/{t}:publish, at most 1,000 messages a
request, `data` in base64), `subscriptions.get`/`create` (auto-creating the subscription), `subscriptions.pull`,
`acknowledge` and `modifyAckDeadline`. The bearer token comes from the connection's credentials (google-auth).

With PUBSUB_EMULATOR_HOST in the worker's environment (Google's libraries' variable) the calls go to that emulator
over plain HTTP without credentials; `endpoint` points them at a regional endpoint or a proxy.

Messages are Kestra's Message: `data` (sent as it renders when it is text; otherwise serialised by `serdeType`, JSON
or STRING), `attributes`, `messageId`, `orderingKey`. Consumed ones are written one a line to an ION file, `data`
read by `serdeType` (JSON: parsed; STRING: the text)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, model_validator

from legato.model.durations import Duration
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import httpclient
from legato.plugins.core import storage_stream as stream
from legato.plugins.gcp import connection
from legato.plugins.gcp.connection import KESTRA, GcpConnection
from legato.plugins.runnable import Expression, RunnableTask, render_as
from legato.plugins.triggers.realtime import serde
from legato.storage import StorageError, ion

ENDPOINT = "https://pubsub.googleapis.com"
EMULATOR = "PUBSUB_EMULATOR_HOST"
SerdeType = Literal["STRING", "JSON"]
_BATCH = 1000  # messages per publish request (the API's limit)
Render = Any


class PubSubConnection(GcpConnection):
    """The connection fields and the topic, shared by the tasks and triggers."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("google.auth",)
    EXTRA: ClassVar[str] = "gcp"

    topic: str = Field(description="The topic's id, without `projects/.../topics/` (rendered); the topic must exist.")
    endpoint: str | None = Field(default=None, description="Legato: the Pub/Sub REST API's base URL (a regional endpoint such as https://europe-west1-pubsub.googleapis.com, a proxy); default https://pubsub.googleapis.com.")


class PubSub:
    """REST calls to Pub/Sub for one project, with a token refreshed when it expires."""

    def __init__(self, conn: PubSubConnection, render: Render) -> None:
        self.conn, self.render = conn, render
        emulator = os.environ.get(EMULATOR)
        self.emulated = bool(emulator) and conn.endpoint is None
        self.creds: Any = None
        project = None if conn.projectId is None else str(render(conn.projectId)).strip() or None
        if self.emulated:
            base = str(emulator)
            self.base = base if "://" in base else f"http://{base}"
        else:
            self.creds, found = connection.credentials(conn, render)
            project = project or found
            self.base = str(render(conn.endpoint)).rstrip("/") if conn.endpoint else ENDPOINT
        if not project:
            raise TaskFailed("property 'projectId' is required: the credentials name no project")
        self.project = project
        # the operator chose the emulator's address; an endpoint of the flow goes through the SSRF guard
        self.http = httpclient.client(timeout=httpx.Timeout(90.0, connect=30.0), guarded=not self.emulated)

    def topic_path(self) -> str:
        return f"projects/{self.project}/topics/{self.render(self.conn.topic)}"

    def subscription_path(self, name: str) -> str:
        return name if name.startswith("projects/") else f"projects/{self.project}/subscriptions/{name}"

    async def _headers(self) -> dict[str, str]:
        if self.creds is None:
            return {}
        if not self.creds.valid:
            await asyncio.to_thread(_refresh, self.creds)
        return {"Authorization": f"Bearer {self.creds.token}"} if self.creds.token else {}

    async def call(self, method: str, path: str, body: Any = None, *, missing_ok: bool = False,
                   conflict_ok: bool = False) -> dict[str, Any] | None:
        url = f"{self.base}/v1/{path}"
        try:
            response = await self.http.request(method, url, json=body, headers=await self._headers())
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            raise TaskFailed(f"Pub/Sub: {method} {url} failed: {exc}") from None
        if (response.status_code == 404 and missing_ok) or (response.status_code == 409 and conflict_ok):
            return None
        if response.status_code >= 400:
            raise TaskFailed(f"Pub/Sub: {method} {path} answered HTTP {response.status_code}: {_error(response)}")
        answer = response.json() if response.content else {}
        return answer if isinstance(answer, dict) else {}

    async def publish(self, messages: list[dict[str, Any]]) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(messages), _BATCH):
            answer = await self.call("POST", f"{self.topic_path()}:publish", {"messages": messages[start:start + _BATCH]})
            ids += (answer or {}).get("messageIds") or []
        return ids

    async def subscription(self, name: str, create: bool) -> str:
        """The subscription's full name, created on the topic first when `create` and it does not exist."""
        path = self.subscription_path(name)
        if create and await self.call("GET", path, missing_ok=True) is None:
            await self.call("PUT", path, {"topic": self.topic_path(), "ackDeadlineSeconds": 60}, conflict_ok=True)
        return path

    async def pull(self, subscription: str, most: int) -> list[dict[str, Any]]:
        answer = await self.call("POST", f"{subscription}:pull", {"maxMessages": max(1, min(most, 1000))})
        return list((answer or {}).get("receivedMessages") or [])

    async def acknowledge(self, subscription: str, ack_ids: list[str]) -> None:
        for start in range(0, len(ack_ids), 1000):
            await self.call("POST", f"{subscription}:acknowledge", {"ackIds": ack_ids[start:start + 1000]})

    async def extend(self, subscription: str, ack_ids: list[str], seconds: int) -> None:
        """Keep pulled messages hidden `seconds` longer (0: hand them back at once)."""
        for start in range(0, len(ack_ids), 1000):
            await self.call("POST", f"{subscription}:modifyAckDeadline",
                            {"ackIds": ack_ids[start:start + 1000], "ackDeadlineSeconds": seconds})

    async def close(self) -> None:
        await self.http.aclose()


def _refresh(creds: Any) -> None:
    from google.auth.transport.requests import Request

    try:
        creds.refresh(Request())
    except Exception as exc:
        raise TaskFailed(f"Pub/Sub: no access token from the GCP credentials: {exc}") from None


def _error(response: httpx.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return response.text[:300]
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        return f"{error.get('status') or ''} {error.get('message') or ''}".strip()
    return str(answer)[:300]


def outgoing(message: dict[str, Any], serde_type: str) -> dict[str, Any]:
    """A rendered Kestra Message as the API's PubsubMessage (`messageId` is the server's to give)."""
    out: dict[str, Any] = {}
    data = message.get("data")
    if data is not None:
        raw = data.encode() if isinstance(data, str) else (
            json.dumps(data, separators=(",", ":"), default=str).encode() if serde_type == "JSON" else str(data).encode())
        out["data"] = base64.b64encode(raw).decode("ascii")
    attributes = message.get("attributes")
    if attributes:
        if not isinstance(attributes, dict):
            raise TaskFailed(f"a message's attributes must be a map, not {attributes!r}")
        out["attributes"] = {str(k): str(v) for k, v in attributes.items()}
    if message.get("orderingKey"):
        out["orderingKey"] = str(message["orderingKey"])
    if "data" not in out and "attributes" not in out:
        raise TaskFailed(f"a message needs data or attributes: {message!r}")
    return out


def incoming(received: dict[str, Any], serde_type: str) -> dict[str, Any]:
    """A pulled message as Kestra's Message: data (read by `serde_type`), attributes, messageId, orderingKey."""
    message = received.get("message") or {}
    raw = base64.b64decode(message["data"]) if message.get("data") else None
    return {"data": serde.decode(raw, serde_type), "attributes": message.get("attributes") or {},
            "messageId": message.get("messageId"), "orderingKey": message.get("orderingKey") or None}


class _Pulling(PubSubConnection):
    subscription: str = Field(description="The subscription to pull from (its id, or projects/.../subscriptions/...).")
    autoCreateSubscription: bool | Expression = Field(default=True, description="Create the subscription on the topic when it does not exist.")
    maxRecords: int | Expression | None = Field(default=None, description="Stop after this many messages.")
    maxDuration: Duration | Expression | None = Field(default=None, description="Stop after this long (ISO-8601 duration).")
    serdeType: SerdeType | Expression = Field(default="STRING", description="How message data is read: STRING (text) or JSON (parsed).")


async def consume(pubsub: PubSub, render: Render, spec: _Pulling, *, wait: bool,
                  sleep: Any = asyncio.sleep) -> tuple[list[dict[str, Any]], str, list[str]]:
    """Pull up to maxRecords messages for at most maxDuration; without `wait`, also stop at the first empty pull
    (a trigger's poll). The messages, the subscription and their ack ids (not acknowledged yet)."""
    most = None if spec.maxRecords is None else int(_typed(render, spec.maxRecords, int, "maxRecords"))
    limit = None if spec.maxDuration is None else _typed(render, spec.maxDuration, Duration, "maxDuration")
    kind = str(render(spec.serdeType))
    create = bool(_typed(render, spec.autoCreateSubscription, bool, "autoCreateSubscription"))
    subscription = await pubsub.subscription(str(render(spec.subscription)), create)
    deadline = None if limit is None else time.monotonic() + limit.total_seconds()
    found: list[dict[str, Any]] = []
    acks: list[str] = []
    while (most is None or len(found) < most) and (deadline is None or time.monotonic() < deadline):
        batch = await pubsub.pull(subscription, 1000 if most is None else most - len(found))
        for received in batch:
            acks.append(received["ackId"])
            found.append(incoming(received, kind))
        if not batch:
            if not wait:
                break
            await sleep(0.5)
    return found, subscription, acks


def _typed(render: Render, value: Any, tp: Any, prop: str) -> Any:
    from pydantic import TypeAdapter, ValidationError

    rendered = render(value) if isinstance(value, str) else value
    try:
        return TypeAdapter(tp).validate_python(rendered)
    except ValidationError:
        raise TaskFailed(f"property '{prop}': {rendered!r} is not valid") from None


class _Task(RunnableTask, PubSubConnection):
    pass


@TASKS.register
class Publish(_Task):
    """Publish messages (`from`: a list of them, one, or a kestra:// file of them one a line) to a topic; outputs
    `messagesCount`."""

    TYPE: ClassVar[str] = "gcp.pubsub.Publish"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.pubsub.Publish",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"""\
id: publish
type: {KESTRA}.pubsub.Publish
projectId: my-project
serviceAccount: "{{{{ secret('GCP_SERVICE_ACCOUNT') }}}}"
topic: pipeline-events
serdeType: JSON
from:
  - data:
      run_id: "{{{{ execution.id }}}}"
      status: completed
    attributes:
      source: legato
""",
    )

    from_: list[dict[str, Any]] | dict[str, Any] | str = Field(alias="from", description="The messages: a list of {data, attributes, orderingKey}, one such map, or a kestra:// URI of a file of them (one a line, ION or JSON).")
    serdeType: SerdeType | Expression = Field(default="STRING", description="How `data` that is not text is serialised: STRING (its text) or JSON.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        kind = render_as(ctx, self.serdeType, SerdeType, "serdeType")
        messages = [outgoing(m, kind) for m in _messages(ctx, self.from_)]
        pubsub = PubSub(self, ctx.render)
        try:
            ids = await pubsub.publish(messages)
        finally:
            await pubsub.close()
        topic = pubsub.topic_path()
        ctx.logger.info(f"Published {len(ids)} message(s) to {topic}")
        ctx.effects.extra.setdefault("metrics", []).append(
            {"name": "records", "type": "counter", "value": len(ids), "tags": {"topic": str(ctx.render(self.topic))}})
        return {"messagesCount": len(ids)}


def _messages(ctx: RunContext, value: Any) -> list[dict[str, Any]]:
    rendered = ctx.render(value)
    if isinstance(rendered, str) and rendered.strip().startswith("kestra://"):
        try:
            with ctx.storage.open(rendered.strip()) as handle:
                rendered = list(ion.values(handle))
        except StorageError as exc:
            raise TaskFailed(f"property 'from': {exc}") from None
    elif isinstance(rendered, str):
        try:
            rendered = json.loads(rendered)
        except ValueError:
            raise TaskFailed(f"property 'from': neither a kestra:// URI nor JSON messages: {rendered[:100]!r}") from None
    items = rendered if isinstance(rendered, list) else [rendered]
    if not all(isinstance(m, dict) for m in items):
        raise TaskFailed("property 'from': each message must be a map of data, attributes, orderingKey")
    return items


@TASKS.register
class Consume(RunnableTask, _Pulling):
    """Pull messages from a subscription until `maxRecords` or `maxDuration`, acknowledging them; outputs `uri` (an
    ION file, one message a line) and `count`."""

    TYPE: ClassVar[str] = "gcp.pubsub.Consume"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.pubsub.Consume",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: consume\ntype: {KESTRA}.pubsub.Consume\nprojectId: my-project\ntopic: orders\nsubscription: kestra-orders\n"
        "maxRecords: 100\nmaxDuration: PT30S\nserdeType: JSON\n",
    )

    @model_validator(mode="after")
    def _bounded(self) -> Consume:
        if self.maxRecords is None and self.maxDuration is None:
            raise ValueError("'maxDuration' or 'maxRecords' must be set to avoid an infinite loop")
        return self

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        pubsub = PubSub(self, ctx.render)
        try:
            found, subscription, acks = await consume(pubsub, ctx.render, self, wait=True, sleep=ctx.sleep)
            with stream.Output(ctx, "messages.ion") as out:
                out.write_all((ion.dumps(m) + "\n").encode() for m in found)
                uri = out.save()
            await pubsub.acknowledge(subscription, acks)
        finally:
            await pubsub.close()
        ctx.logger.info(f"Consumed {len(found)} message(s) from {subscription}")
        ctx.effects.extra.setdefault("metrics", []).append(
            {"name": "records", "type": "counter", "value": len(found), "tags": {"topic": str(ctx.render(self.topic))}})
        return {"uri": uri, "count": len(found)}
