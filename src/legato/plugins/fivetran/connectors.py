"""Fivetran connectors: `Sync` (POST /v2/connectors/{id}/sync, then GET /v2/connectors/{id} until a sync
completes after the one seen before) and `Status` (whether each connector's last sync is fresh: completed
within its sync frequency plus a buffer). Basic authentication with the API key and secret; reads (GET) are
retried on 429/5xx and connection failures, the sync request never is (it must not start twice)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS
from legato.plugins.apiclient import ApiClient, poll_until
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_bool, render_duration

_PREFIX = "io.kestra.plugin.fivetran.connectors"


class FivetranTask(RunnableTask):
    apiKey: str = Field(description="Fivetran API key (Basic authentication user).")
    apiSecret: str = Field(description="Fivetran API secret (Basic authentication password).")
    baseUrl: str = Field(default="https://api.fivetran.com", description="Base URL of the Fivetran API.")
    options: dict[str, Any] | None = Field(default=None, description="Kestra's HTTP client options; accepted (`timeout` in seconds is applied).")
    maxAttempts: int | Expression = Field(default=3, description="Attempts of a read that fails transiently (429, 5xx, connection refused, timeouts), the first included.")
    initialRetryDelay: Duration | Expression = Field(default=timedelta(seconds=1), description="First delay between attempts, doubled each time up to 30 s.")

    def client(self, ctx: RunContext, *, retry: bool) -> ApiClient:
        attempts = render_as(ctx, self.maxAttempts, int, "maxAttempts")
        if attempts < 1:
            raise TaskFailed(f"property 'maxAttempts' must be at least 1, not {attempts}")
        delay = render_duration(ctx, self.initialRetryDelay, "initialRetryDelay").total_seconds()
        if delay <= 0:
            raise TaskFailed("property 'initialRetryDelay' must be a positive duration")
        timeout = (self.options or {}).get("timeout")
        return ApiClient(
            "Fivetran", ctx.render_string(self.baseUrl), headers={"Accept": "application/json;version=2"},
            auth=(ctx.render_string(self.apiKey), ctx.render_string(self.apiSecret)),
            max_retries=attempts if retry else 1, initial_delay=delay,
            timeout=float(timeout) if isinstance(timeout, int | float) else 60.0, retry_statuses=_RETRIED,
        )

    async def connector(self, api: ApiClient, connector_id: str) -> dict[str, Any]:
        body = await api.call("GET", f"/v2/connectors/{_segment(connector_id)}")
        data = (body or {}).get("data")
        if not isinstance(data, dict):
            raise TaskFailed(f"Fivetran: connector {connector_id!r}: the answer has no 'data': {str(body)[:300]}")
        return data


_RETRIED = frozenset({429, *range(500, 600)})


def _segment(connector_id: str) -> str:
    return quote(connector_id, safe="")


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def completed(connector: dict[str, Any]) -> datetime | None:
    """When the connector's last sync ended (successfully or not)."""
    ok, failed = _time(connector.get("succeeded_at")), _time(connector.get("failed_at"))
    if ok is not None and (failed is None or ok > failed):
        return ok
    return failed


def has_failed(connector: dict[str, Any]) -> bool:
    """Whether the last sync failed (Fivetran keeps failed_at after a later success)."""
    ok, failed = _time(connector.get("succeeded_at")), _time(connector.get("failed_at"))
    return failed is not None and (ok is None or not ok > failed)


@TASKS.register
class Sync(FivetranTask):
    """Start a sync of a Fivetran connector and, with `wait` (default), wait until it completes; fails when the
    sync fails. No outputs."""

    TYPE: ClassVar[str] = "fivetran.connectors.Sync"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Sync",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: sync
type: io.kestra.plugin.fivetran.connectors.Sync
apiKey: "{{ secret('FIVETRAN_API_KEY') }}"
apiSecret: "{{ secret('FIVETRAN_API_SECRET') }}"
connectorId: enterprise_sprout
""",
    )

    connectorId: str = Field(description="The connector to sync.")
    force: bool | Expression = Field(default=False, description="Stop a sync already running and start a new one (else a running sync is left alone).")
    wait: bool | Expression = Field(default=True, description="Wait for the sync to complete.")
    maxDuration: Duration | Expression = Field(default=timedelta(minutes=60), description="How long to wait for the sync.")
    pollFrequency: Duration | Expression = Field(default=timedelta(seconds=5), description="Time between two status checks.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        connector_id = ctx.render_string(self.connectorId)
        every = render_duration(ctx, self.pollFrequency, "pollFrequency").total_seconds()
        if every <= 0:
            raise TaskFailed("property 'pollFrequency' must be a positive duration")
        reads = self.client(ctx, retry=True)
        before = completed(await self.connector(reads, connector_id))
        answer = await self.client(ctx, retry=False).call(
            "POST", f"/v2/connectors/{_segment(connector_id)}/sync", json={"force": render_bool(ctx, self.force, "force")})
        ctx.logger.info(f"Fivetran connector {connector_id}: sync requested: {(answer or {}).get('message') or answer}")
        if not render_bool(ctx, self.wait, "wait"):
            return {}

        async def check() -> dict[str, Any] | None:
            current = await self.connector(reads, connector_id)
            done = completed(current)
            return current if done is not None and (before is None or done > before) else None

        limit = render_duration(ctx, self.maxDuration, "maxDuration").total_seconds()
        final = await poll_until(ctx, check, every, limit, f"Fivetran connector '{connector_id}'")
        if has_failed(final):
            status = final.get("status") or {}
            raise TaskFailed(f"Fivetran connector '{connector_id}' failed its sync at {final.get('failed_at')}"
                             f" (sync_state {status.get('sync_state')}, setup_state {status.get('setup_state')})")
        ctx.logger.info(f"Fivetran connector {connector_id}: sync succeeded at {final.get('succeeded_at')}")
        return {}


@TASKS.register
class Status(FivetranTask):
    """Read connectors' status: `connectors.<id>` has the last sync's times, whether it failed, and `fresh` (the
    last successful sync is within the sync frequency plus `freshnessBuffer`). With `wait` (default), poll
    until every connector is fresh; a paused or not-connected connector that is stale fails at once unless
    `allowTerminal`."""

    TYPE: ClassVar[str] = "fivetran.connectors.Status"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Status",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: fresh
type: io.kestra.plugin.fivetran.connectors.Status
apiKey: "{{ secret('FIVETRAN_API_KEY') }}"
apiSecret: "{{ secret('FIVETRAN_API_SECRET') }}"
connectorIds:
  - enterprise_sprout
freshnessBuffer: PT15M
""",
    )

    connectorIds: list[str] | Expression = Field(description="The connectors to read.")
    freshnessBuffer: Duration | Expression = Field(default=timedelta(0), description="Added to each connector's sync frequency when deciding whether it is fresh.")
    wait: bool | Expression = Field(default=True, description="Poll until every connector is fresh.")
    maxDuration: Duration | Expression = Field(default=timedelta(hours=1), description="How long to wait.")
    pollFrequency: Duration | Expression = Field(default=timedelta(seconds=30), description="Time between two reads.")
    allowTerminal: bool | Expression = Field(default=False, description="Keep waiting for a paused or not-connected connector instead of failing.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        ids = [str(i) for i in render_as(ctx, ctx.render(self.connectorIds), list[str], "connectorIds")]
        if not ids:
            raise TaskFailed("property 'connectorIds' must not be empty")
        for index, value in enumerate(ids):
            if not value.strip():
                raise TaskFailed(f"connectorIds[{index}] must not be blank")
        buffer = render_duration(ctx, self.freshnessBuffer, "freshnessBuffer")
        api = self.client(ctx, retry=True)
        allow = render_bool(ctx, self.allowTerminal, "allowTerminal")

        async def read() -> dict[str, dict[str, Any]]:
            return {i: _state(await self.connector(api, i), datetime.now(UTC), buffer) for i in ids}

        if not render_bool(ctx, self.wait, "wait"):
            return {"connectors": await read()}

        async def check() -> dict[str, dict[str, Any]] | None:
            states = await read()
            for connector_id, state in states.items():
                if state["fresh"] is None:
                    raise TaskFailed(f"Fivetran connector '{connector_id}' reports no sync_frequency: its freshness cannot be computed")
                if not allow and not state["fresh"] and (state["paused"] or state["setupState"] not in (None, "connected")):
                    why = "it is paused" if state["paused"] else f"its setup_state is {state['setupState']}"
                    raise TaskFailed(f"Fivetran connector '{connector_id}' cannot become fresh: {why}")
            return states if all(s["fresh"] for s in states.values()) else None

        every = render_duration(ctx, self.pollFrequency, "pollFrequency").total_seconds()
        limit = render_duration(ctx, self.maxDuration, "maxDuration").total_seconds()
        if every <= 0 or every > limit:
            raise TaskFailed("property 'pollFrequency' must be positive and not above maxDuration")
        return {"connectors": await poll_until(ctx, check, every, limit, "Fivetran connectors' freshness")}


def _state(connector: dict[str, Any], now: datetime, buffer: timedelta) -> dict[str, Any]:
    status = connector.get("status") or {}
    frequency = connector.get("sync_frequency")
    succeeded = _time(connector.get("succeeded_at"))
    fresh: bool | None = None
    if isinstance(frequency, int | float):
        fresh = succeeded is not None and now - succeeded <= timedelta(minutes=frequency) + buffer
    done = completed(connector)
    return {
        "id": connector.get("id"), "name": connector.get("schema") or connector.get("name"),
        "paused": bool(connector.get("paused")), "syncFrequency": frequency,
        "scheduleType": connector.get("schedule_type"), "succeededAt": connector.get("succeeded_at"),
        "failedAt": connector.get("failed_at"), "completedDate": done.isoformat() if done else None,
        "hasFailed": has_failed(connector), "syncState": status.get("sync_state"),
        "setupState": status.get("setup_state"), "fresh": fresh,
    }
