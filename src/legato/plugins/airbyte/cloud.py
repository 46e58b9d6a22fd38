"""Airbyte Cloud jobs through the Airbyte API (`POST /v1/jobs` with `{connectionId, jobType}`, then
`GET /v1/jobs/{jobId}` until the job is succeeded, failed, cancelled or incomplete). Authentication: a bearer
`token`, else client credentials exchanged at `tokenURL`, else basic auth. `url` (Legato's addition; Kestra's
client has the API's address built in) lets a flow reach another deployment of the same API."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS
from legato.plugins.apiclient import ApiClient, poll_until
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import (
    Expression,
    RunnableTask,
    render_bool,
    render_duration,
    render_optional_text,
)

_PREFIX = "io.kestra.plugin.airbyte.cloud.jobs"
ENDED = ("incomplete", "failed", "cancelled", "succeeded")
_RETRIED = frozenset({408, 425, 429, *(c for c in range(500, 600) if c != 501)})
API = "https://api.airbyte.com/v1"


class CloudJob(RunnableTask):
    JOB_TYPE: ClassVar[str] = "sync"

    connectionId: str = Field(description="The Airbyte Cloud connection.")
    token: str | None = Field(default=None, description="Bearer token (used first when set).")
    clientId: str | None = Field(default=None, description="Application client id (client-credentials authentication).")
    clientSecret: str | None = Field(default=None, description="Application client secret.")
    tokenURL: str = Field(default=f"{API}/applications/token", description="Where client credentials are exchanged for a token.")
    username: str | None = Field(default=None, description="Basic authentication user (when neither token nor client credentials are set).")
    password: str | None = Field(default=None, description="Basic authentication password.")
    url: str = Field(default=API, description="Legato: base URL of the Airbyte API.")
    wait: bool | Expression = Field(default=True, description="Wait for the job to end.")
    maxDuration: Duration | Expression = Field(default=timedelta(minutes=60), description="How long to wait.")
    pollFrequency: Duration | Expression = Field(default=timedelta(seconds=1), description="Time between two status checks.")

    async def _headers(self, ctx: RunContext) -> dict[str, str]:
        token = render_optional_text(ctx, self.token)
        if token:
            return {"Authorization": f"Bearer {token}"}
        client_id, secret = render_optional_text(ctx, self.clientId), render_optional_text(ctx, self.clientSecret)
        if client_id and secret:
            answer = await ApiClient("Airbyte Cloud", ctx.render_string(self.tokenURL)).call(
                "POST", "", json={"client_id": client_id, "client_secret": secret, "grant-type": "client_credentials"})
            access = str((answer or {}).get("access_token") or "")
            if not access:
                raise TaskFailed("Airbyte Cloud: the token endpoint gave no access_token")
            return {"Authorization": f"Bearer {access}"}
        user, password = render_optional_text(ctx, self.username), render_optional_text(ctx, self.password)
        if user is None or password is None:
            raise TaskFailed("Airbyte Cloud: set token, clientId and clientSecret, or username and password")
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        api = ApiClient("Airbyte Cloud", ctx.render_string(self.url), headers=await self._headers(ctx),
                        max_retries=6, retry_statuses=_RETRIED)
        created = await api.call("POST", "/jobs", json={"connectionId": ctx.render_string(self.connectionId),
                                                        "jobType": self.JOB_TYPE})
        job = _job(created)
        ctx.logger.info(f"Airbyte Cloud job {job['jobId']}: {job['status']}")
        if not render_bool(ctx, self.wait, "wait"):
            return {"job": job}

        async def check() -> dict[str, Any] | None:
            current = _job(await api.call("GET", f"/jobs/{job['jobId']}"))
            return current if str(current["status"]).lower() in ENDED else None

        every = render_duration(ctx, self.pollFrequency, "pollFrequency").total_seconds()
        limit = render_duration(ctx, self.maxDuration, "maxDuration").total_seconds()
        final = await poll_until(ctx, check, every, limit, f"Airbyte Cloud job {job['jobId']}")
        metrics = ctx.effects.extra.setdefault("metrics", [])
        for key, name in (("bytesSynced", "bytes_synced"), ("rowsSynced", "rows_synced")):
            if isinstance(final.get(key), int):
                metrics.append({"name": name, "type": "counter", "value": final[key]})
        return {"job": final}


def _job(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("jobId"), int):
        raise TaskFailed(f"Airbyte Cloud: the answer has no jobId: {str(body)[:300]}")
    keys = ("jobId", "startTime", "lastUpdatedAt", "jobType", "status", "duration", "bytesSynced", "rowsSynced")
    return {k: body.get(k) for k in keys}


@TASKS.register
class Sync(CloudJob):
    """Start a sync job of an Airbyte Cloud connection and, with `wait` (default), wait for it to end.
    Output: job (jobId, status, startTime, lastUpdatedAt, duration, bytesSynced, rowsSynced)."""

    TYPE: ClassVar[str] = "airbyte.cloud.jobs.Sync"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Sync",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: sync
type: io.kestra.plugin.airbyte.cloud.jobs.Sync
connectionId: e3b1ce92-547c-436f-b1e8-23b6936c12cd
token: "{{ secret('AIRBYTE_TOKEN') }}"
""",
    )


@TASKS.register
class Reset(CloudJob):
    """Start a reset job of an Airbyte Cloud connection and, with `wait` (default), wait for it to end."""

    TYPE: ClassVar[str] = "airbyte.cloud.jobs.Reset"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Reset",)
    JOB_TYPE: ClassVar[str] = "reset"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: reset
type: io.kestra.plugin.airbyte.cloud.jobs.Reset
connectionId: e3b1ce92-547c-436f-b1e8-23b6936c12cd
token: "{{ secret('AIRBYTE_TOKEN') }}"
""",
    )
