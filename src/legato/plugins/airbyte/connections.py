"""A self-hosted Airbyte's connections: `Sync` starts a sync job (POST /api/v1/connections/sync/) and, with
`wait`, follows it as `CheckStatus` does (POST /api/v1/jobs/get/ until the job is succeeded, failed or
cancelled), logging each attempt's new log lines and reporting records and bytes per stream as metrics."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS, Frozen
from legato.plugins.apiclient import ApiClient, poll_until
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import (
    Expression,
    RunnableTask,
    render_bool,
    render_duration,
    render_optional_text,
)

_PREFIX = "io.kestra.plugin.airbyte.connections"
ENDED = ("failed", "cancelled", "succeeded")
_RETRIED = frozenset({408, 425, 429, *(c for c in range(500, 600) if c != 501)})


class ApplicationCredentials(Frozen):
    clientId: str = Field(description="Airbyte application client id.")
    clientSecret: str = Field(description="Airbyte application client secret.")


class AirbyteTask(RunnableTask):
    url: str = Field(description="Base URL of the Airbyte server (e.g. http://localhost:8000).")
    username: str | None = Field(default=None, description="Basic authentication user.")
    password: str | None = Field(default=None, description="Basic authentication password.")
    token: str | None = Field(default=None, description="Bearer token.")
    httpTimeout: Duration | Expression = Field(default=timedelta(seconds=10), description="Deprecated, no effect: use options.")
    options: dict[str, Any] | None = Field(default=None, description="Kestra's HTTP client options; accepted (`timeout` in seconds is applied).")
    applicationCredentials: ApplicationCredentials | None = Field(default=None, description="Client credentials exchanged for an access token at /api/v1/applications/token before the calls.")

    async def client(self, ctx: RunContext) -> ApiClient:
        base = ctx.render_string(self.url).rstrip("/")
        headers: dict[str, str] = {}
        timeout = (self.options or {}).get("timeout")
        seconds = float(timeout) if isinstance(timeout, int | float) else 60.0
        token = render_optional_text(ctx, self.token)
        if self.applicationCredentials is not None:
            creds = self.applicationCredentials
            answer = await ApiClient("Airbyte", base, timeout=seconds).call(
                "POST", "/api/v1/applications/token",
                json={"client_id": ctx.render_string(creds.clientId), "client_secret": ctx.render_string(creds.clientSecret)})
            token = str((answer or {}).get("access_token") or "")
            if not token:
                raise TaskFailed("Airbyte: /api/v1/applications/token gave no access_token")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        user, password = render_optional_text(ctx, self.username), render_optional_text(ctx, self.password)
        if user is not None and password is not None:  # basic auth wins when both are set, as in Kestra
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return ApiClient("Airbyte", base, headers={"Content-Type": "application/json", **headers},
                         max_retries=6, timeout=seconds, retry_statuses=_RETRIED)


class Following(AirbyteTask):
    maxDuration: Duration | Expression = Field(default=timedelta(minutes=60), description="How long to wait for the job.")
    pollFrequency: Duration | Expression = Field(default=timedelta(seconds=1), description="Time between two status checks.")

    async def follow(self, ctx: RunContext, api: ApiClient, job_id: int) -> str:
        logged: dict[int, int] = {}

        async def check() -> dict[str, Any] | None:
            info = await api.call("POST", "/api/v1/jobs/get/", json={"id": job_id}) or {}
            attempts = info.get("attempts") or []
            for index, attempt in enumerate(attempts):
                lines = ((attempt.get("logs") or {}).get("logLines")) or []
                for line in lines[logged.get(index, 0):]:
                    text = str(line)
                    if "ERROR[" in text:
                        ctx.logger.error(text)
                    elif "DEBUG[" in text:
                        ctx.logger.debug(text)
                    elif "TRACE[" in text:
                        ctx.logger.trace(text)
                    else:
                        ctx.logger.info(text)
                logged[index] = len(lines)
            status = str(((info.get("job") or {}).get("status")) or "").lower()
            return info if status in ENDED else None

        every = render_duration(ctx, self.pollFrequency, "pollFrequency").total_seconds()
        limit = render_duration(ctx, self.maxDuration, "maxDuration").total_seconds()
        final = await poll_until(ctx, check, every, limit, f"Airbyte job {job_id}")
        attempts = final.get("attempts") or []
        for attempt in attempts:
            summary = (attempt.get("attempt") or {}).get("failureSummary")
            if summary:
                ctx.logger.warn(f"Failure with reason {summary}")
        status = str(final["job"]["status"]).lower()
        if status != "succeeded":
            raise TaskFailed(f"Airbyte job {job_id} ended '{status}' after {len(attempts)} attempt(s)")
        metrics = ctx.effects.extra.setdefault("metrics", [])
        metrics.append({"name": "attempts.count", "type": "counter", "value": len(attempts)})
        for attempt in attempts:
            for stream in (attempt.get("attempt") or {}).get("streamStats") or []:
                stats, name = stream.get("stats") or {}, str(stream.get("streamName"))
                for key, metric in (("recordsCommitted", "records.committed"), ("recordsEmitted", "records.emitted"),
                                    ("bytesEmitted", "bytes.emitted"), ("stateMessagesEmitted", "state.emitted")):
                    if isinstance(stats.get(key), int):
                        metrics.append({"name": metric, "type": "counter", "value": stats[key], "tags": {"stream": name}})
        return status


@TASKS.register
class Sync(Following):
    """Start a sync of an Airbyte connection and, with `wait` (default), follow the job to its end. Outputs:
    jobId, alreadyRunning (true when Airbyte said a sync was running and failOnActiveSync is false)."""

    TYPE: ClassVar[str] = "airbyte.connections.Sync"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Sync",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: sync
type: io.kestra.plugin.airbyte.connections.Sync
url: http://localhost:8080
connectionId: e3b1ce92-547c-436f-b1e8-23b6936c12ab
""",
    )

    connectionId: str = Field(description="The connection to sync.")
    wait: bool | Expression = Field(default=True, description="Follow the job to its end (and fail unless it succeeds).")
    failOnActiveSync: bool | Expression = Field(default=True, description="Fail when a sync is already running; when false, succeed with alreadyRunning true.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        api = await self.client(ctx)
        connection = ctx.render_string(self.connectionId)
        try:
            info = await api.call("POST", "/api/v1/connections/sync/", json={"connectionId": connection})
        except TaskFailed as exc:
            if "HTTP 409" in str(exc) or "already running" in str(exc).lower():
                if render_bool(ctx, self.failOnActiveSync, "failOnActiveSync"):
                    raise TaskFailed(f"Airbyte connection {connection}: a sync is already running") from None
                return {"jobId": None, "alreadyRunning": True}
            raise
        job = (info or {}).get("job") or {}
        if not isinstance(job.get("id"), int):
            raise TaskFailed(f"Airbyte: the answer to the sync of {connection} has no job id: {str(info)[:300]}")
        ctx.logger.info(f"Airbyte connection {connection}: job {job['id']} {job.get('status')}")
        if render_bool(ctx, self.wait, "wait"):
            await self.follow(ctx, api, job["id"])
        return {"jobId": job["id"], "alreadyRunning": False}


@TASKS.register
class CheckStatus(Following):
    """Follow an Airbyte job to its end, logging its attempts' lines; fails unless it succeeds. Output:
    finalJobStatus."""

    TYPE: ClassVar[str] = "airbyte.connections.CheckStatus"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.CheckStatus",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: check
type: io.kestra.plugin.airbyte.connections.CheckStatus
url: http://localhost:8080
jobId: "{{ outputs.sync.jobId }}"
""",
    )

    jobId: str | int = Field(description="The job to follow.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        text = ctx.render_string(str(self.jobId))
        try:
            job_id = int(text)
        except ValueError:
            raise TaskFailed(f"property 'jobId' must be a number, not {text!r}") from None
        return {"finalJobStatus": await self.follow(ctx, await self.client(ctx), job_id)}
