"""Hightouch `Sync`: GET /api/v1/syncs/{id} (the sync exists; its slug for the logs), POST
/api/v1/syncs/{id}/trigger with `{"fullResync": ...}` (answer: the run's `id`), then with `wait` GET
/api/v1/syncs/{id}/runs?runId=... every second until the run's status is final. Bearer-token authentication; reads
are retried on 429/5xx, the trigger never is (it must not start twice).

Final statuses: success (also spelled completed), warning and completed_with_errors end the task (the last two
with a warning in the logs), failed, cancelled and interrupted fail it. Outputs `runId` and, after waiting,
`metadata` (the run as Hightouch describes it); the completion ratio and row counts become metrics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS
from legato.plugins.apiclient import ApiClient, poll_until
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_bool, render_duration

SUCCEEDED = {"success", "completed", "complete", "completed_successfully", "completed_success"}
WITH_ERRORS = {"warning", "completed_with_errors", "completed_with_error", "completed_errors"}
FAILED = {"failed", "cancelled", "canceled", "interrupted", "aborted_due_to_fatal_error", "cancelled_by_user",
          "canceled_by_user"}
_RETRIED = frozenset({429, *range(500, 600)})
_EVERY = 1.0  # seconds between two status reads, as Kestra's


def status_of(run: dict[str, Any]) -> str:
    return str(run.get("status") or "").strip().lower().replace("-", "_").replace(" ", "_")


@TASKS.register
class Sync(RunnableTask):
    """Trigger a Hightouch sync and, with `wait` (default), wait for its run to end; fails when the run fails.
    Outputs `runId` and `metadata`."""

    TYPE: ClassVar[str] = "hightouch.Sync"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.hightouch.Sync",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: sync
type: io.kestra.plugin.hightouch.Sync
token: "{{ secret('HIGHTOUCH_API_TOKEN') }}"
syncId: 1716609
""",
    )

    token: str = Field(description="Hightouch API key (Bearer token; Settings > API keys).")
    syncId: int | Expression = Field(description="The sync to trigger.")
    fullResynchronization: bool | Expression = Field(default=False, description="Resync every row instead of the changes since the last run (`fullResync`).")
    wait: bool | Expression = Field(default=True, description="Wait for the run to end; false returns the runId at once.")
    maxDuration: Duration | Expression = Field(default=timedelta(minutes=5), description="How long to wait for the run.")
    baseUrl: str = Field(default="https://api.hightouch.com", description="Legato: base URL of the Hightouch API (a proxy, or a test double).")

    def client(self, ctx: RunContext, *, retry: bool) -> ApiClient:
        return ApiClient("Hightouch", ctx.render_string(self.baseUrl),
                         headers={"Authorization": f"Bearer {ctx.render_string(self.token)}"},
                         max_retries=3 if retry else 1, retry_statuses=_RETRIED)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        sync_id = render_as(ctx, self.syncId, int, "syncId")
        reads = self.client(ctx, retry=True)
        details = await reads.call("GET", f"/api/v1/syncs/{sync_id}") or {}
        answer = await self.client(ctx, retry=False).call(
            "POST", f"/api/v1/syncs/{sync_id}/trigger",
            json={"fullResync": render_bool(ctx, self.fullResynchronization, "fullResynchronization")})
        run_id = (answer or {}).get("id")
        if run_id is None:
            raise TaskFailed(f"Hightouch: triggering sync {sync_id} gave no run id: {str(answer)[:300]}")
        run_id = int(run_id)
        ctx.logger.info(f"[syncId={sync_id}] {details.get('slug', '')}: run {run_id} triggered")
        if not render_bool(ctx, self.wait, "wait"):
            return {"runId": run_id}

        async def check() -> dict[str, Any] | None:
            body = await reads.call("GET", f"/api/v1/syncs/{sync_id}/runs", params={"runId": run_id}) or {}
            run = next((r for r in body.get("data") or [] if str(r.get("id")) == str(run_id)), None)
            if run is None:
                return None
            status = status_of(run)
            ctx.logger.debug(f"[syncId={sync_id}] run {run_id}: {status}")
            return run if status in SUCCEEDED | WITH_ERRORS | FAILED else None

        limit = render_duration(ctx, self.maxDuration, "maxDuration").total_seconds()
        final = await poll_until(ctx, check, _EVERY, limit, f"Hightouch sync {sync_id} run {run_id}")
        status = status_of(final)
        if status in FAILED:
            raise TaskFailed(f"Hightouch sync {sync_id}: run {run_id} ended {final.get('status')}"
                             + (f": {final['error']}" if final.get("error") else ""))
        if status in WITH_ERRORS:
            ctx.logger.warn(f"Hightouch sync {sync_id}: run {run_id} completed with errors: failed rows "
                            f"{final.get('failedRows')}")
        self._metrics(ctx, final)
        return {"runId": run_id, "metadata": final}

    @staticmethod
    def _metrics(ctx: RunContext, run: dict[str, Any]) -> None:
        metrics: list[dict[str, Any]] = ctx.effects.extra.setdefault("metrics", [])

        def add(name: str, value: Any) -> None:
            if isinstance(value, int | float):
                metrics.append({"name": name, "type": "counter", "value": value, "tags": {}})

        add("completion.ratio", run.get("completionRatio"))
        for group, prefix in (("successfulRows", "rows.successfully"), ("failedRows", "rows.failed")):
            rows = run.get(group) or {}
            for key, name in (("addedCount", "added"), ("removedCount", "removed"), ("changedCount", "changed")):
                add(f"{prefix}.{name}", rows.get(key))
