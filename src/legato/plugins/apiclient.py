"""A JSON-over-HTTP client for the tasks that drive a SaaS API (dbt Cloud, Fivetran, Airbyte): one request at
a time with httpx through the SSRF guard (legato.plugins.core.httpclient), transient failures (502/503/504,
connection errors, timeouts) retried with exponential back-off, and every other failure turned into a TaskFailed
naming the call and the server's answer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

from legato.backoff import Backoff
from legato.plugins.context import TaskFailed
from legato.plugins.core import httpclient

_TRANSIENT = {502, 503, 504}


@dataclass
class ApiClient:
    """`base_url` without a trailing slash; `headers` go with every request (authentication)."""

    service: str  # named in errors: "dbt Cloud", "Fivetran", ...
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    max_retries: int = 3
    initial_delay: float = 1.0
    timeout: float = 60.0
    retry_statuses: frozenset[int] = frozenset(_TRANSIENT)
    guarded: bool = True  # False only when the operator, not the flow, chose `base_url`

    async def call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                   form: dict[str, str] | None = None, missing_ok: bool = False) -> Any:
        """The decoded JSON body of `method path` (None for an empty body, or a 404 with `missing_ok`); the body is
        `json`, or `form` URL-encoded."""
        url = self.base_url.rstrip("/") + path
        backoff = Backoff(self.initial_delay, 30.0)
        attempts = max(1, self.max_retries)
        # the guarded client: the API's address is the flow's to give (baseUrl, url), so it must not reach the
        # server or its network unless the operator allowed it (LEGATO_HTTP_ALLOWED_NETWORKS), as for the HTTP tasks
        auth = httpx.BasicAuth(*self.auth) if self.auth else None
        async with httpclient.client(timeout=httpx.Timeout(self.timeout), auth=auth, guarded=self.guarded,
                                     headers={"Accept": "application/json", **self.headers}) as client:
            for attempt in range(1, attempts + 1):
                try:
                    response = await client.request(method, url, json=json, params=params, data=form)
                except (httpx.TransportError, httpx.TimeoutException) as exc:
                    if attempt == attempts:
                        raise TaskFailed(f"{self.service}: {method} {url} failed: {exc}") from None
                else:
                    if response.status_code not in self.retry_statuses or attempt == attempts:
                        return self._decode(method, url, response, missing_ok)
                await asyncio.sleep(backoff.next())
        raise AssertionError("unreachable")  # pragma: no cover

    def _decode(self, method: str, url: str, response: httpx.Response, missing_ok: bool) -> Any:
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            text = response.text.strip().replace("\n", " ")
            raise TaskFailed(f"{self.service}: {method} {url} answered HTTP {response.status_code}: {text[:500]}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise TaskFailed(f"{self.service}: {method} {url} did not answer JSON: {response.text[:200]}") from None


async def poll_until(ctx: Any, check: Any, every: float, limit: float, what: str) -> Any:
    """Call `await check()` every `every` seconds until it returns something other than None, for at most
    `limit` seconds (then TaskFailed naming `what`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        found = await check()
        if found is not None:
            return found
        if loop.time() + every > deadline:
            raise TaskFailed(f"{what} did not end within {limit:g} s (maxDuration)")
        await ctx.sleep(every)
