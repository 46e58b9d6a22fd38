"""Airflow `dags.TriggerDagRun`: POST {baseUrl}/api/v1/dags/{dagId}/dagRuns with `body` (default: `{"conf": {source:
kestra, namespace, flow, task, execution}}`), then with `wait` GET .../dagRuns/{dag_run_id} every `pollFrequency`
until the run's state is `success` or `failed` (at most `maxDuration`). Basic authentication from
`options.basicAuthUser` / `basicAuthPassword`, more `headers` as given. Outputs `dagId`, `dagRunId`, `state`, and
after waiting `started` and `ended`. As in Kestra, a failed DAG run is reported in `state`; Legato also ends the
task in WARNING then. Reads are retried on 429/5xx, the trigger never is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS, Frozen
from legato.plugins.apiclient import ApiClient, poll_until
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_bool, render_duration

_ENDED = {"success", "failed"}
_RETRIED = frozenset({429, *range(500, 600)})


class HttpOptions(Frozen):
    """Kestra's HTTP client options, as far as they apply here."""

    basicAuthUser: str | None = Field(default=None, description="User for Basic authentication (rendered).")
    basicAuthPassword: str | None = Field(default=None, description="Password for Basic authentication (rendered).")
    readTimeout: Duration | None = Field(default=None, description="How long one request may take (default 60 s).")
    connectTimeout: Duration | None = Field(default=None, description="Accepted; the read timeout bounds the whole request.")


@TASKS.register
class TriggerDagRun(RunnableTask):
    """Trigger an Airflow DAG run and, with `wait`, wait for it to end. Outputs `dagId`, `dagRunId`, `state`,
    `started`, `ended`."""

    TYPE: ClassVar[str] = "airflow.dags.TriggerDagRun"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.airflow.dags.TriggerDagRun",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: run_dag
type: io.kestra.plugin.airflow.dags.TriggerDagRun
baseUrl: http://airflow.example.com:8080
dagId: example_astronauts
wait: true
options:
  basicAuthUser: "{{ secret('AIRFLOW_USERNAME') }}"
  basicAuthPassword: "{{ secret('AIRFLOW_PASSWORD') }}"
body:
  conf:
    source: kestra
    execution: "{{ execution.id }}"
""",
    )

    baseUrl: str = Field(description="The Airflow webserver, e.g. http://airflow:8080 (rendered).")
    dagId: str = Field(description="The DAG to run (rendered).")
    body: dict[str, Any] | Expression | None = Field(default=None, description="The request body (rendered), e.g. `{conf: {...}, note: ...}`; default: a `conf` naming this flow and execution.")
    headers: dict[str, str] | None = Field(default=None, description="More request headers (values rendered).")
    options: HttpOptions | None = Field(default=None, description="HTTP options: basicAuthUser, basicAuthPassword, readTimeout.")
    wait: bool | Expression = Field(default=False, description="Wait for the DAG run to end.")
    pollFrequency: Duration | Expression = Field(default=timedelta(seconds=1), description="Time between two status reads.")
    maxDuration: Duration | Expression = Field(default=timedelta(minutes=60), description="How long to wait for the run.")

    def client(self, ctx: RunContext, *, retry: bool) -> ApiClient:
        options = self.options or HttpOptions()
        auth = None
        if options.basicAuthUser:
            auth = (ctx.render_string(options.basicAuthUser), ctx.render_string(options.basicAuthPassword or ""))
        headers = {k: ctx.render_string(v) for k, v in (self.headers or {}).items()}
        timeout = options.readTimeout.total_seconds() if isinstance(options.readTimeout, timedelta) else 60.0
        return ApiClient("Airflow", ctx.render_string(self.baseUrl), headers=headers, auth=auth,
                         max_retries=3 if retry else 1, timeout=timeout, retry_statuses=_RETRIED)

    def _body(self, ctx: RunContext) -> dict[str, Any]:
        if self.body is not None:
            rendered = ctx.render(self.body)
            if not isinstance(rendered, dict):
                raise TaskFailed("property 'body' must be a map")
            return rendered
        execution = ctx.execution
        return {"conf": {"source": "kestra", "namespace": execution.namespace, "flow": execution.flow_id,
                         "task": self.id, "execution": execution.id}}

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        dag = ctx.render_string(self.dagId)
        path = f"/api/v1/dags/{quote(dag, safe='')}/dagRuns"
        started = await self.client(ctx, retry=False).call("POST", path, json=self._body(ctx)) or {}
        run_id = started.get("dag_run_id")
        if not run_id:
            raise TaskFailed(f"Airflow: triggering DAG {dag} gave no dag_run_id: {str(started)[:300]}")
        ctx.logger.info(f"Airflow DAG {dag}: run {run_id} triggered ({started.get('state')})")
        outputs: dict[str, Any] = {"dagId": dag, "dagRunId": run_id, "state": started.get("state")}
        if not render_bool(ctx, self.wait, "wait"):
            return outputs
        reads = self.client(ctx, retry=True)

        async def check() -> dict[str, Any] | None:
            run = await reads.call("GET", f"{path}/{quote(str(run_id), safe='')}") or {}
            return run if str(run.get("state", "")).lower() in _ENDED else None

        every = render_duration(ctx, self.pollFrequency, "pollFrequency").total_seconds()
        if every <= 0:
            raise TaskFailed("property 'pollFrequency' must be a positive duration")
        limit = render_duration(ctx, self.maxDuration, "maxDuration").total_seconds()
        final = await poll_until(ctx, check, every, limit, f"Airflow DAG {dag} run {run_id}")
        state = str(final.get("state"))
        if state.lower() == "failed":
            ctx.logger.warn(f"Airflow DAG {dag}: run {run_id} failed")
            ctx.effects.warning = True
        else:
            ctx.logger.info(f"Airflow DAG {dag}: run {run_id} {state}")
        return {**outputs, "state": state, "started": final.get("start_date"), "ended": final.get("end_date")}
