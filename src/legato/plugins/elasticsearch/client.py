"""The connection of the Elasticsearch and OpenSearch tasks (`connection.hosts`, `basicAuth`, `headers`,
`pathPrefix`, `strictDeprecationMode`, `trustAllSsl`) and a REST client over Legato's guarded HTTP client: the
hosts are tried in order until one answers (a connection error moves to the next, an HTTP answer does not), and
an error answer becomes a TaskFailed quoting the server's error type and reason. A cluster on the worker's own
network is reached once the operator allows it (LEGATO_HTTP_ALLOWED_NETWORKS), as for the HTTP tasks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import Field

from legato.model.task import Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import httpclient
from legato.plugins.runnable import Expression, render_as, render_optional

TIMEOUT = httpx.Timeout(60.0, connect=30.0)


class BasicAuth(Frozen):
    username: str = Field(description="User name (rendered).")
    password: str = Field(description="Password (rendered).")


class SearchConnection(Frozen):
    """Where the cluster is and how to authenticate."""

    hosts: list[str] | Expression = Field(min_length=1, description="The cluster's HTTP(S) endpoints with scheme and port, e.g. `https://search.example.com:9200` (rendered); tried in order.")
    basicAuth: BasicAuth | None = Field(default=None, description="HTTP basic authentication (ignored when `headers` sets Authorization).")
    headers: list[str] | Expression | None = Field(default=None, description="Headers sent with every request, each `Name: Value` (e.g. `Authorization: ApiKey ...`).")
    pathPrefix: str | None = Field(default=None, description="A path before every endpoint, for a cluster behind a proxy (e.g. `/es`).")
    strictDeprecationMode: bool | Expression | None = Field(default=None, description="Fail when an answer carries a deprecation warning.")
    trustAllSsl: bool | Expression | None = Field(default=None, description="Skip TLS certificate checks (self-signed certificates, never in production).")


def path(*parts: str) -> str:
    """An endpoint path from its segments, each escaped."""
    return "/" + "/".join(quote(p, safe=",*") for p in parts)


@dataclass
class Answer:
    status: int
    content_type: str
    text: str

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


class SearchClient:
    """One task's REST client: `call` sends a request to the first host that answers."""

    def __init__(self, ctx: RunContext, conn: SearchConnection, product: str, media_type: str) -> None:
        self.product = product
        hosts = render_as(ctx, conn.hosts, list[str], "connection.hosts")
        self.hosts = [str(h).rstrip("/") for h in hosts if str(h).strip()]
        if not self.hosts:
            raise TaskFailed("property 'connection.hosts' needs at least one host")
        self.prefix = "/" + ctx.render_string(conn.pathPrefix).strip("/") if conn.pathPrefix else ""
        self.headers = {"Accept": media_type, "Content-Type": media_type}
        for line in render_optional(ctx, conn.headers, list[str], "connection.headers") or []:
            name, sep, value = str(line).partition(":")
            if not sep:
                raise TaskFailed(f"invalid header format, expected `Name: Value` but got `{line}`")
            self.headers[name.strip()] = value.strip()
        self.auth: tuple[str, str] | None = None
        if conn.basicAuth is not None and not any(k.lower() == "authorization" for k in self.headers):
            self.auth = (ctx.render_string(conn.basicAuth.username), ctx.render_string(conn.basicAuth.password))
        self.strict = bool(render_optional(ctx, conn.strictDeprecationMode, bool, "connection.strictDeprecationMode"))
        self.verify = not render_optional(ctx, conn.trustAllSsl, bool, "connection.trustAllSsl")
        if not self.verify:
            ctx.logger.warn("`trustAllSsl` is enabled: TLS certificate and hostname checks are off for this connection")
        self.log = ctx.logger

    async def call(self, method: str, endpoint: str, *, params: dict[str, Any] | None = None, body: Any = None,
                   ndjson: bytes | None = None, allow: tuple[int, ...] = ()) -> Answer:
        """Send one request; an HTTP status >= 400 not in `allow` fails the task."""
        target = self.prefix + (endpoint if endpoint.startswith("/") else "/" + endpoint)
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        headers = dict(self.headers)
        content: bytes | None = None
        if ndjson is not None:
            content = ndjson
            headers["Content-Type"] = headers["Content-Type"].replace("+json", "+x-ndjson").replace("/json", "/x-ndjson")
        elif body is not None:
            content = (body if isinstance(body, str) else json.dumps(body, default=str)).encode()
        last: Exception | None = None
        auth = httpx.BasicAuth(*self.auth) if self.auth else None
        async with httpclient.client(timeout=TIMEOUT, verify=self.verify, auth=auth, headers=headers) as http:
            for host in self.hosts:
                try:
                    response = await http.request(method, host + target, params=query, content=content)
                except httpx.TransportError as exc:
                    last = exc
                    continue
                return self._answer(method, target, response, allow)
        raise TaskFailed(f"{self.product}: {method} {target}: no host answered ({last})")

    def _answer(self, method: str, target: str, response: httpx.Response, allow: tuple[int, ...]) -> Answer:
        for warning in response.headers.get_list("warning"):
            if self.strict:
                raise TaskFailed(f"{self.product}: {method} {target}: {warning}")
            self.log.warn(warning)
        answer = Answer(response.status_code, response.headers.get("content-type", ""), response.text)
        if response.status_code >= 400 and response.status_code not in allow:
            raise TaskFailed(f"{self.product}: {method} {target} answered HTTP {response.status_code}: {_reason(answer)}")
        return answer


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _reason(answer: Answer) -> str:
    try:
        error = answer.json().get("error")
    except (ValueError, AttributeError):
        return answer.text[:500]
    if isinstance(error, dict):
        return f"[{error.get('type', 'error')}] {error.get('reason', '')}".strip()
    return str(error or answer.text)[:500]


def body_of(ctx: RunContext, value: Any, prop: str) -> Any:
    """A map, or JSON text, as the JSON value to send (rendered)."""
    rendered = ctx.render(value)
    if isinstance(rendered, str):
        try:
            return json.loads(rendered)
        except ValueError as exc:
            raise TaskFailed(f"property '{prop}' is not valid JSON ({exc}): {rendered[:200]!r}") from None
    return rendered


def counter(ctx: RunContext, name: str, value: float) -> None:
    ctx.effects.extra.setdefault("metrics", []).append({"name": name, "type": "counter", "value": value, "tags": {}})
