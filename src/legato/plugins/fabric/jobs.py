"""io.kestra.plugin.microsoft.fabric.data.engineering.RunPipeline, RunNotebook and RunSparkJob: Fabric's job
scheduler API ("Run On Demand Item Job"): POST /workspaces/{workspaceId}/items/{itemId}/jobs/instances?jobType=
(Pipeline, RunNotebook, sparkjob) with `{"executionData": {"parameters": {...}}}` answers 202 and the job
instance's URL in `Location`; with `wait` the task reads that URL every `pollFrequency` until the job's `status`
is Completed (success) or Failed, Cancelled or Deduped (failure, with Fabric's `failureReason`), or `timeout`
passes. A 429 is read again after its Retry-After."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import httpx
from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import httpclient
from legato.plugins.fabric.connection import FABRIC_API, FABRIC_SCOPE, FabricTask, fail_message
from legato.plugins.runnable import (
    Expression,
    render_as,
    render_duration,
    render_optional,
    render_text,
    task_timeout,
)

DONE = "Completed"
FAILED = frozenset({"Failed", "Cancelled", "Deduped"})  # the job ended without completing


class JobTask(FabricTask):
    """Start one job of an item and wait for it."""

    JOB_TYPE: ClassVar[str] = ""
    ITEM: ClassVar[str] = ""  # the property naming the item
    ID_OUTPUT: ClassVar[str] = "jobInstanceId"

    workspaceId: str = Field(description="The Fabric workspace's id (a GUID).")
    parameters: dict[str, Any] | Expression | None = Field(default=None, description="Parameters of the run, sent as the job's `executionData.parameters`.")
    wait: bool | Expression = Field(default=True, description="Wait for the job to end; false returns the job instance's id at once (status Running).")
    pollFrequency: Duration | Expression = Field(default=timedelta(seconds=5), description="How often the job's status is read while waiting.")
    apiUrl: str = Field(default=FABRIC_API, description="Legato: the Fabric REST API's base URL (a proxy, a test double).")

    def item_id(self, ctx: RunContext) -> str:
        return render_text(ctx, getattr(self, self.ITEM))

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        workspace, item = render_text(ctx, self.workspaceId), self.item_id(ctx)
        parameters = render_optional(ctx, self.parameters, dict[str, Any], "parameters") or {}
        token = await self.token(ctx, FABRIC_SCOPE)
        url = (f"{render_text(ctx, self.apiUrl).rstrip('/')}/workspaces/{workspace}/items/{item}/jobs/instances")
        async with _client(token) as client:
            response = await _request(client, "POST", url, params={"jobType": self.JOB_TYPE},
                                      json={"executionData": {"parameters": parameters}})
            if response.status_code != 202:
                raise TaskFailed(f"Microsoft Fabric: starting the {self.JOB_TYPE} job of item {item} answered HTTP "
                                 f"{response.status_code}: {_text(response)}")
            location = response.headers.get("location")
            if not location:
                raise TaskFailed("Microsoft Fabric: the job was accepted without a Location header")
            job_id = location.rstrip("/").rsplit("/", 1)[-1]
            ctx.logger.info(f"Started {self.JOB_TYPE} job {job_id} of item {item} in workspace {workspace}")
            if not render_as(ctx, self.wait, bool, "wait"):
                return {self.ID_OUTPUT: job_id, "status": "Running"}
            status = await self._wait(ctx, client, location, job_id)
        ctx.logger.info(f"{self.JOB_TYPE} job {job_id} ended {status}")
        return {self.ID_OUTPUT: job_id, "status": status}

    async def _wait(self, ctx: RunContext, client: httpx.AsyncClient, location: str, job_id: str) -> str:
        every = render_duration(ctx, self.pollFrequency, "pollFrequency").total_seconds()
        limit = (task_timeout(ctx, self) or timedelta(hours=1)).total_seconds()
        waited, status = 0.0, "NotStarted"
        while True:
            response = await _request(client, "GET", location)
            if response.status_code == 429:
                delay = float(response.headers.get("retry-after") or 30)
            elif response.status_code != 200:
                raise TaskFailed(f"Microsoft Fabric: reading job {job_id} answered HTTP {response.status_code}: "
                                 f"{_text(response)}")
            else:
                job = response.json()
                status = str(job.get("status"))
                ctx.logger.debug(f"{self.JOB_TYPE} job {job_id}: {status}")
                if status == DONE:
                    return status
                if status in FAILED:
                    reason = job.get("failureReason")
                    why = f": {fail_message(reason)}" if reason else ""
                    raise TaskFailed(f"{self.JOB_TYPE} job {job_id} ended with status {status}{why}",
                                     outputs={self.ID_OUTPUT: job_id, "status": status})
                delay = every
            if waited + delay > limit:
                raise TaskFailed(f"{self.JOB_TYPE} job {job_id} did not complete within {limit:g} s; last status: {status}")
            await ctx.sleep(delay)
            waited += delay


def _client(token: str) -> httpx.AsyncClient:
    return httpclient.client(timeout=httpx.Timeout(60.0), headers={"Authorization": f"Bearer {token}",
                                                                   "Accept": "application/json"})


async def _request(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return await client.request(method, url, **kwargs)
    except (httpx.TransportError, httpx.TimeoutException) as exc:
        raise TaskFailed(f"Microsoft Fabric: {method} {url} failed: {exc}") from None


def _text(response: httpx.Response) -> str:
    try:
        return fail_message(response.json())[:500]
    except ValueError:
        return response.text[:500]


CONNECTION = """\
tenantId: "{{ secret('FABRIC_TENANT_ID') }}"
clientId: "{{ secret('FABRIC_CLIENT_ID') }}"
clientSecret: "{{ secret('FABRIC_CLIENT_SECRET') }}"
workspaceId: "{{ vars.workspace_id }}"
"""


@TASKS.register
class RunPipeline(JobTask):
    """Run a Data Pipeline (job type Pipeline) with `parameters` and wait for it; outputs `runId` and `status`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.microsoft.fabric.data.engineering.RunPipeline"
    JOB_TYPE: ClassVar[str] = "Pipeline"
    ITEM: ClassVar[str] = "pipelineId"
    ID_OUTPUT: ClassVar[str] = "runId"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: run_pipeline\ntype: io.kestra.plugin.microsoft.fabric.data.engineering.RunPipeline\n" + CONNECTION
        + "pipelineId: \"{{ vars.pipeline_id }}\"\nparameters:\n  load_date: \"{{ now() | dateFormat('yyyy-MM-dd') }}\"\n"
        "pollFrequency: PT15S\ntimeout: PT1H\n",
    )

    pipelineId: str = Field(description="The Data Pipeline item's id (a GUID).")


@TASKS.register
class RunNotebook(JobTask):
    """Run a Notebook (job type RunNotebook) with `parameters` and wait for it; outputs `jobInstanceId`, `status`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.microsoft.fabric.data.engineering.RunNotebook"
    JOB_TYPE: ClassVar[str] = "RunNotebook"
    ITEM: ClassVar[str] = "notebookId"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: run_notebook\ntype: io.kestra.plugin.microsoft.fabric.data.engineering.RunNotebook\n" + CONNECTION
        + "notebookId: \"{{ vars.notebook_id }}\"\nparameters:\n  source_layer: bronze\n  target_layer: silver\n",
    )

    notebookId: str = Field(description="The Notebook item's id (a GUID).")


@TASKS.register
class RunSparkJob(JobTask):
    """Run a Spark Job Definition (job type sparkjob) and wait for it; outputs `jobInstanceId` and `status`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.microsoft.fabric.data.engineering.RunSparkJob"
    JOB_TYPE: ClassVar[str] = "sparkjob"
    ITEM: ClassVar[str] = "sparkJobDefinitionId"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: run_spark_job\ntype: io.kestra.plugin.microsoft.fabric.data.engineering.RunSparkJob\n" + CONNECTION
        + "sparkJobDefinitionId: \"{{ vars.spark_job_definition_id }}\"\npollFrequency: PT30S\ntimeout: PT4H\n",
    )

    sparkJobDefinitionId: str = Field(description="The Spark Job Definition item's id (a GUID).")
