"""http.Trigger: call an HTTP endpoint every `interval` and start the flow when `responseCondition` holds.

The request is the one of the http.Request task (same properties, same SSRF guard of `netguard`); the
condition sees `response.statusCode`, `response.body` (text) and `response.headers`. The execution gets
`trigger.code`, `trigger.headers`, `trigger.body` and `trigger.uri`. Like Kestra, it fires at every poll
where the condition holds (never while its previous execution runs): `stopAfter` ends the watch.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, ClassVar, Literal, cast

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TRIGGERS
from legato.plugins.context import TaskFailed
from legato.plugins.core import http as http_task
from legato.plugins.core.http import BasicAuth, BearerAuth, RequestOptions, SslOptions
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext

DEFAULT_CONDITION = "{{ response.statusCode < 400 }}"


@TRIGGERS.register
class HttpTrigger(PollingTrigger):
    """Poll an HTTP endpoint; start the flow when the answer meets `responseCondition`."""

    TYPE: ClassVar[str] = "http.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.http.Trigger", "io.kestra.plugin.fs.http.Trigger")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
triggers:
  - id: price_drop
    type: io.kestra.plugin.core.http.Trigger
    uri: https://api.example.com/products/1
    responseCondition: "{{ json(response.body).price <= 110 }}"
    interval: PT30S
    stopAfter:
      - SUCCESS
""",
    )

    uri: str = Field(description="The URL to call (rendered).")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = Field(default="GET", description="HTTP method.")
    headers: dict[str, Any] | None = Field(default=None, description="Request headers (values rendered).")
    body: str | None = Field(default=None, description="Request body (rendered).")
    formData: dict[str, Any] | None = Field(default=None, description="Fields sent as application/x-www-form-urlencoded (values rendered).")
    contentType: str | None = Field(default=None, description="Content-Type of the body.")
    auth: BasicAuth | BearerAuth | None = Field(default=None, discriminator="type", description="BASIC (username, password) or BEARER (token).")
    options: RequestOptions = Field(default_factory=RequestOptions, description="Timeouts, redirects and basic auth.")
    sslOptions: SslOptions | None = Field(default=None, description="TLS options.")
    responseCondition: str = Field(default=DEFAULT_CONDITION, description="Start the flow when this renders true; it sees response.statusCode, response.body and response.headers.")
    encryptBody: bool = Field(default=False, description="Kestra compatibility: accepted; the body is kept as text.")
    timeout: Duration | None = Field(default=timedelta(seconds=60), description="Time allowed for one call.")

    def source(self) -> PollingSource:
        return _HttpSource(self)


class _HttpSource:
    def __init__(self, trigger: HttpTrigger):
        self.trigger = trigger
        fields = {k: getattr(trigger, k) for k in ("uri", "method", "headers", "body", "formData", "contentType",
                                                   "auth", "options", "sslOptions", "timeout")}
        # Every status code is an answer here: the condition decides.
        self.request = http_task.Request.model_validate({"id": trigger.id, "type": "http.Request", **fields,
                                                         "allowFailed": True})

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        run = _RequestContext(ctx)
        code, headers, body = await self.request.call(cast(Any, run), http_task._read_text)
        response = {"statusCode": code, "body": body, "headers": headers}
        if not _true(ctx.render_with(self.trigger.responseCondition, {"response": response})):
            ctx.log.debug("%s answered %d: condition false", self.trigger.uri, code)
            return None
        return Poll(variables={"uri": run.render_string(self.trigger.uri), "code": code, "headers": headers, "body": body})


def _true(value: Any) -> bool:
    """Kestra's reading of a rendered condition: true, or the text 'true'."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


class _RequestContext:
    """The little of a task's RunContext that the HTTP request needs, over a trigger's context."""

    def __init__(self, ctx: TriggerContext):
        self._ctx = ctx
        self.logger = _Logger(ctx)

    @property
    def storage(self) -> Any:
        raise TaskFailed("http.Trigger cannot send files of internal storage: a multipart formData takes text values here")

    def render(self, value: Any) -> Any:
        return self._ctx.render(value)

    def render_string(self, value: Any) -> str:
        rendered = self._ctx.render(value)
        if isinstance(rendered, bool):
            return "true" if rendered else "false"
        if isinstance(rendered, dict | list):
            return json.dumps(rendered)
        return "" if rendered is None else str(rendered)


class _Logger:
    def __init__(self, ctx: TriggerContext):
        self._log = ctx.log

    def trace(self, message: str) -> None:
        self._log.debug(message)

    def debug(self, message: str) -> None:
        self._log.debug(message)

    def info(self, message: str) -> None:
        self._log.info(message)

    def warn(self, message: str) -> None:
        self._log.warning(message)

    def error(self, message: str) -> None:
        self._log.error(message)
