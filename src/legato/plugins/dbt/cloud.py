"""dbt Cloud jobs over its Administrative API v2 (Kestra's `io.kestra.plugin.dbt.cloud.*`): `TriggerRun`
starts a job run (`POST /api/v2/accounts/{account}/jobs/{job}/run/`) and, with `wait`, follows it as
`CheckStatus` does (`GET .../runs/{run}/` until its status is 10 success, 20 error or 30 cancelled), logging
its steps' logs, then downloads `run_results.json` and `manifest.json` (`GET .../runs/{run}/artifacts/...`)
into internal storage; run results become one entry per dbt node, as for dbt.cli.DbtCLI."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS
from legato.plugins.apiclient import ApiClient, poll_until
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.dbt import results
from legato.plugins.runnable import (
    Expression,
    RunnableTask,
    render_as,
    render_bool,
    render_duration,
    render_optional,
    render_optional_text,
)
from legato.storage import task_run_prefix
from legato.storage.uris import join

_PREFIX = "io.kestra.plugin.dbt.cloud"
SUCCESS, ERROR, CANCELLED = 10, 20, 30
_HUMAN = {1: "Queued", 2: "Starting", 3: "Running", SUCCESS: "Success", ERROR: "Error", CANCELLED: "Cancelled"}


class DbtCloudTask(RunnableTask):
    baseUrl: str = Field(default="https://cloud.getdbt.com", description="Base URL of the dbt Cloud API (your access URL).")
    accountId: str = Field(description="dbt Cloud account id.")
    token: str = Field(description="API token (service token or personal access token).")
    options: dict[str, Any] | None = Field(default=None, description="Kestra's HTTP client options; accepted (`timeout` in seconds is applied).")
    maxRetries: int | Expression = Field(default=3, description="Attempts of a request that fails transiently (502/503/504, connection errors).")
    initialDelayMs: int | Expression = Field(default=1000, description="First delay between attempts, doubled each time (ms).")

    def client(self, ctx: RunContext) -> ApiClient:
        account = ctx.render_string(self.accountId)
        timeout = (self.options or {}).get("timeout")
        return ApiClient(
            "dbt Cloud", f"{ctx.render_string(self.baseUrl).rstrip('/')}/api/v2/accounts/{account}",
            headers={"Authorization": f"Bearer {ctx.render_string(self.token)}", "Content-Type": "application/json"},
            max_retries=render_as(ctx, self.maxRetries, int, "maxRetries"),
            initial_delay=render_as(ctx, self.initialDelayMs, int, "initialDelayMs") / 1000,
            timeout=float(timeout) if isinstance(timeout, int | float) else 60.0,
        )


class Following(DbtCloudTask):
    pollFrequency: Duration | Expression = Field(default=timedelta(seconds=5), description="Time between two status checks.")
    maxDuration: Duration | Expression = Field(default=timedelta(minutes=60), description="How long to wait for the run to end.")
    parseRunResults: bool | Expression = Field(default=True, description="Parse run_results.json into one entry per dbt node (outputs.nodes, logs, metrics).")

    async def follow(self, ctx: RunContext, run_id: int) -> dict[str, Any]:
        api = self.client(ctx)
        logged: dict[int, int] = {}
        seen: set[str] = set()
        related = '["trigger","job","run_steps","environment"]'

        async def check() -> dict[str, Any] | None:
            body = await api.call("GET", f"/runs/{run_id}/", params={"include_related": related})
            data = (body or {}).get("data") or {}
            self._log_steps(ctx, data, logged, seen)
            return data if _ended(data) else None

        every = render_duration(ctx, self.pollFrequency, "pollFrequency").total_seconds()
        limit = render_duration(ctx, self.maxDuration, "maxDuration").total_seconds()
        data = await poll_until(ctx, check, every, limit, f"dbt Cloud run {run_id}")
        if not _succeeded(data):
            message = f": {data['status_message']}" if data.get("status_message") else ""
            raise TaskFailed(f"dbt Cloud run {run_id} ended with status '{_humanized(data)}' after "
                             f"{data.get('duration_humanized', '?')}{message}")
        outputs: dict[str, Any] = {}
        manifest = await api.call("GET", f"/runs/{run_id}/artifacts/manifest.json", missing_ok=True)
        run_results = await api.call("GET", f"/runs/{run_id}/artifacts/run_results.json", missing_ok=True)
        base = _prefix(ctx)
        if manifest is not None:
            outputs["manifest"] = ctx.storage.put(join(base, "manifest.json"), json.dumps(manifest).encode())
        if run_results is not None:
            outputs["runResults"] = ctx.storage.put(join(base, "run_results.json"), json.dumps(run_results).encode())
            if render_bool(ctx, self.parseRunResults, "parseRunResults"):
                try:
                    parsed = results.parse(run_results, manifest, ctx.task_run.id)
                except results.ArtifactError as exc:
                    ctx.logger.warn(str(exc))
                else:
                    for level, text in parsed.logs:
                        {"ERROR": ctx.logger.error, "WARN": ctx.logger.warn}.get(level, ctx.logger.info)(text)
                    ctx.effects.extra.setdefault("metrics", []).extend(parsed.metrics)
                    outputs["nodes"] = parsed.nodes
        return outputs

    def _log_steps(self, ctx: RunContext, data: dict[str, Any], logged: dict[int, int], seen: set[str]) -> None:
        status = _humanized(data)
        if status not in seen:
            seen.add(status)
            ctx.logger.debug(f"Status changed to '{status}' after {data.get('duration_humanized', '?')}")
        for step in data.get("run_steps") or []:
            text = str(step.get("logs") or "")
            done = logged.get(step.get("id", 0), 0)
            if len(text) > done:
                for line in text[done:].splitlines():
                    if line.strip():
                        ctx.logger.info(line)
                logged[step.get("id", 0)] = len(text)


def _prefix(ctx: RunContext) -> str:
    e = ctx.execution
    return task_run_prefix(e.namespace, e.flow_id, e.id, ctx.task_run.task_id, ctx.task_run.id)


def _humanized(data: dict[str, Any]) -> str:
    return str(data.get("status_humanized") or _HUMAN.get(data.get("status") or 0, "Unknown"))


def _ended(data: dict[str, Any]) -> bool:
    if data.get("status") is not None:
        return data["status"] in (SUCCESS, ERROR, CANCELLED)
    if data.get("is_complete") is not None:
        return bool(data["is_complete"])
    return data.get("status_humanized") in ("Success", "Error", "Cancelled")


def _succeeded(data: dict[str, Any]) -> bool:
    if data.get("status") is not None:
        return bool(data["status"] == SUCCESS)
    if data.get("is_success") is not None:
        return bool(data["is_success"]) and not data.get("is_error")
    return data.get("status_humanized") == "Success"


@TASKS.register
class TriggerRun(Following):
    """Trigger a dbt Cloud job run; with `wait` (default) follow it to its end, stream its step logs, and store
    its manifest.json and run_results.json. Outputs: runId, runResults and manifest (storage URIs), nodes."""

    TYPE: ClassVar[str] = "dbt.cloud.TriggerRun"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.TriggerRun",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: trigger_run
type: io.kestra.plugin.dbt.cloud.TriggerRun
accountId: "12345"
token: "{{ secret('DBT_TOKEN') }}"
jobId: "67890"
""",
    )

    jobId: str = Field(description="The dbt Cloud job to run.")
    cause: str = Field(default="Triggered by Kestra.", description="Why the run was triggered (shown in dbt Cloud).")
    gitSha: str | None = Field(default=None, description="Commit to check out for this run.")
    gitBranch: str | None = Field(default=None, description="Branch to check out for this run.")
    schemaOverride: str | None = Field(default=None, description="Schema to build into instead of the job's target schema.")
    dbtVersionOverride: str | None = Field(default=None, description="dbt version of this run.")
    threadsOverride: str | None = Field(default=None, description="Threads of this run.")
    targetNameOverride: str | None = Field(default=None, description="Value of `target.name` in this run.")
    generateDocsOverride: bool | Expression | None = Field(default=None, description="Generate docs in this run, whatever the job says.")
    timeoutSecondsOverride: int | Expression | None = Field(default=None, description="Timeout of this run (s).")
    stepsOverride: list[str] | Expression | None = Field(default=None, description="dbt commands run instead of the job's steps.")
    wait: bool | Expression = Field(default=True, description="Follow the run to its end (and fail when it does not succeed).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        body: dict[str, Any] = {"cause": ctx.render_string(self.cause)}
        for key, value in (("git_sha", self.gitSha), ("git_branch", self.gitBranch),
                           ("schema_override", self.schemaOverride), ("dbt_version_override", self.dbtVersionOverride),
                           ("threads_override", self.threadsOverride), ("target_name_override", self.targetNameOverride)):
            text = render_optional_text(ctx, value)
            if text is not None:
                body[key] = text
        if (docs := render_optional(ctx, self.generateDocsOverride, bool, "generateDocsOverride")) is not None:
            body["generate_docs_override"] = docs
        if (seconds := render_optional(ctx, self.timeoutSecondsOverride, int, "timeoutSecondsOverride")) is not None:
            body["timeout_seconds_override"] = seconds
        if self.stepsOverride is not None:
            steps = [str(s) for s in render_as(ctx, ctx.render(self.stepsOverride), list[str], "stepsOverride")]
            if steps:
                body["steps_override"] = steps
        job = ctx.render_string(self.jobId)
        answer = await self.client(ctx).call("POST", f"/jobs/{job}/run/", json=body)
        data = (answer or {}).get("data") or {}
        if not isinstance(data.get("id"), int):
            raise TaskFailed(f"dbt Cloud: the answer to triggering job {job} has no run id: {str(answer)[:300]}")
        run_id: int = data["id"]
        ctx.logger.info(f"dbt Cloud job {job}: run {run_id} triggered")
        if not render_bool(ctx, self.wait, "wait"):
            return {"runId": run_id}
        return {"runId": run_id, **await self.follow(ctx, run_id)}


@TASKS.register
class CheckStatus(Following):
    """Follow a dbt Cloud run to its end, streaming its step logs; fails unless it succeeds. Outputs: runResults
    and manifest (storage URIs), nodes."""

    TYPE: ClassVar[str] = "dbt.cloud.CheckStatus"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.CheckStatus",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: check_status
type: io.kestra.plugin.dbt.cloud.CheckStatus
accountId: "12345"
token: "{{ secret('DBT_TOKEN') }}"
runId: "{{ outputs.trigger_run.runId }}"
""",
    )

    runId: str | int = Field(description="The dbt Cloud run to follow.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        text = ctx.render_string(str(self.runId))
        try:
            run_id = int(text)
        except ValueError:
            raise TaskFailed(f"property 'runId' must be a number, not {text!r}") from None
        return await self.follow(ctx, run_id)
