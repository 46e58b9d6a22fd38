"""What every HTTP notification task shares: Kestra's `options` (timeouts and extra headers), one POST through the
SSRF guard of `legato.plugins.core.httpclient` (never redirected: a redirect would resend a credential elsewhere),
and URLs that never reach a log or an error whole (a webhook URL or a bot token in a path is a credential)."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import httpclient
from legato.plugins.runnable import RunnableTask, task_timeout

_MAX_ANSWER = 1 << 20  # an API's answer is read for its status and a few fields, never kept whole


class RequestOptions(Frozen):
    """Kestra's `options` of the notification tasks."""

    connectTimeout: Duration | None = Field(default=None, description="Time allowed to connect (ISO-8601).")
    readTimeout: Duration = Field(
        default=timedelta(seconds=10), description="Time allowed to wait for the answer (ISO-8601)."
    )
    readIdleTimeout: Duration | None = Field(
        default=None, description="Accepted for Kestra compatibility; the read timeout bounds idle reads."
    )
    connectionPoolIdleTimeout: Duration | None = Field(
        default=None, description="Accepted for Kestra compatibility (one connection per notification)."
    )
    maxContentLength: int | None = Field(
        default=None, description="Accepted for Kestra compatibility (answers are read up to 1 MB)."
    )
    defaultCharset: str | None = Field(default=None, description="Charset of the request body (UTF-8).")
    headers: dict[str, str] | None = Field(
        default=None, description="Extra HTTP headers sent with the request (values rendered)."
    )


@dataclass(frozen=True)
class Answer:
    code: int
    text: str

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None


def redact(url: str) -> str:
    """The URL as logs may show it: scheme and host only (paths and queries of webhooks hold their secret)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return (
        f"{parts.scheme}://{host}{port}/***"
        if parts.path.strip("/") or parts.query
        else f"{parts.scheme}://{host}{port}"
    )


def check_url(url: str, prop: str = "url") -> str:
    """`url` when it is an http(s) URL with a host, else a TaskFailed naming the property."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TaskFailed(
            f"property '{prop}' must be an http:// or https:// URL, not {redact(url) if parts.hostname else repr(url[:40])}"
        )
    return url.strip()


def parse_json(text: str, prop: str) -> Any:
    """The JSON value of a rendered property, or a TaskFailed saying where it is wrong."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise TaskFailed(f"property '{prop}' is not valid JSON: {exc}") from None


class HttpNotification(RunnableTask):
    """A task that sends one HTTP request to a notification service."""

    options: RequestOptions | None = Field(
        default=None, description="HTTP client options: connectTimeout, readTimeout and extra headers."
    )

    async def post(
        self,
        ctx: RunContext,
        url: str,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        method: str = "POST",
    ) -> Answer:
        """Send the request through the SSRF guard; fail on a status other than 2xx with the service's answer."""
        target = check_url(url)
        sent = {"Content-Type": content_type, "User-Agent": "legato", **(headers or {})}
        options = self.options or RequestOptions()
        for name, value in (options.headers or {}).items():
            sent[str(name)] = ctx.render_string(value)
        timeout = task_timeout(ctx, self)
        total = timeout.total_seconds() if timeout else None
        try:
            reply = await asyncio.wait_for(httpclient.send(
                method, target, shown=redact(target), headers=sent, content=body, limit=_MAX_ANSWER,
                seconds=httpclient.timeout(options.connectTimeout, options.readTimeout)), total)
        except TimeoutError:
            raise TaskFailed(f"{method} {redact(target)} timed out") from None
        answer = Answer(reply.status, reply.text)
        ctx.logger.debug(f"{method} {redact(target)} -> {answer.code}")
        if not 200 <= answer.code < 300:
            raise TaskFailed(f"{method} {redact(target)} answered {answer.code}: {answer.text[:300]}")
        return answer

    async def post_json(
        self, ctx: RunContext, url: str, payload: Any, headers: dict[str, str] | None = None
    ) -> Answer:
        return await self.post(ctx, url, json.dumps(payload).encode(), "application/json", headers)
