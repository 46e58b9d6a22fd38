"""Databricks tasks. Kestra's connection properties (`host`, `accountId`, `configFile`, `authentication`:
token, OAuth client, basic, Azure or Google credentials) become a databricks-sdk WorkspaceClient; job task
settings written with Kestra's camelCase names (`notebookTask.notebookPath`, `sparkPythonTask.pythonFile`, ...)
are sent as the Jobs API's fields."""

from __future__ import annotations

import abc
import asyncio
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import output_uri
from legato.plugins.runnable import Expression, RunnableTask, render_optional, render_optional_text
from legato.storage import ion

_PREFIX = "io.kestra.plugin.databricks"


class Authentication(Frozen):
    authType: str | None = Field(default=None, description="The SDK's auth type (pat, oauth-m2m, basic, azure-client-secret, google-credentials...); default: detected.")
    token: str | None = Field(default=None, description="Personal access token.")
    clientId: str | None = Field(default=None, description="OAuth client id.")
    clientSecret: str | None = Field(default=None, description="OAuth client secret.")
    username: str | None = Field(default=None, description="Basic authentication user.")
    password: str | None = Field(default=None, description="Basic authentication password.")
    googleCredentials: str | None = Field(default=None, description="Google credentials (JSON).")
    googleServiceAccount: str | None = Field(default=None, description="Google service account.")
    azureClientId: str | None = Field(default=None, description="Azure client id.")
    azureClientSecret: str | None = Field(default=None, description="Azure client secret.")
    azureTenantId: str | None = Field(default=None, description="Azure tenant id.")


def workspace(ctx: RunContext, host: str | None, token: str | None = None, auth: Authentication | None = None,
              account_id: str | None = None, config_file: str | None = None) -> Any:
    from databricks.sdk import WorkspaceClient

    def text(value: str | None) -> str | None:
        return render_optional_text(ctx, value)

    a = auth or Authentication()
    options: dict[str, Any] = {"host": text(host), "account_id": text(account_id), "config_file": text(config_file),
               "auth_type": text(a.authType), "token": text(a.token) or text(token), "client_id": text(a.clientId),
               "client_secret": text(a.clientSecret), "username": text(a.username), "password": text(a.password),
               "google_credentials": text(a.googleCredentials), "google_service_account": text(a.googleServiceAccount),
               "azure_client_id": text(a.azureClientId), "azure_client_secret": text(a.azureClientSecret),
               "azure_tenant_id": text(a.azureTenantId)}
    try:
        return WorkspaceClient(**{k: v for k, v in options.items() if v})
    except Exception as exc:
        raise TaskFailed(f"Databricks: cannot connect: {exc}") from None


class DatabricksTask(RunnableTask):
    REQUIRES: ClassVar[tuple[str, ...]] = ("databricks.sdk",)
    EXTRA: ClassVar[str] = "databricks"

    host: str | None = Field(default=None, description="Workspace URL (https://<workspace>.cloud.databricks.com).")
    accountId: str | None = Field(default=None, description="Account id (account-level APIs).")
    configFile: str | None = Field(default=None, description="A Databricks configuration file.")
    authentication: Authentication | None = Field(default=None, description="Credentials.")

    def client(self, ctx: RunContext) -> Any:
        return workspace(ctx, self.host, auth=self.authentication, account_id=self.accountId, config_file=self.configFile)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        try:
            return await asyncio.to_thread(self.call, ctx, self.client(ctx))
        except TaskFailed:
            raise
        except Exception as exc:
            raise TaskFailed(f"Databricks {self.TYPE.rsplit('.', 1)[-1]} failed: {exc}") from None

    @abc.abstractmethod
    def call(self, ctx: RunContext, client: Any) -> dict[str, Any]:
        """The task's work with a connected WorkspaceClient (run in a thread)."""


@TASKS.register
class CreateCluster(DatabricksTask):
    """Create a Databricks cluster and wait until it runs. Outputs: clusterId, clusterURI, clusterState."""

    TYPE: ClassVar[str] = "databricks.cluster.CreateCluster"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.cluster.CreateCluster",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: create_cluster\ntype: io.kestra.plugin.databricks.cluster.CreateCluster\nauthentication:\n"
        "  token: \"{{ secret('DATABRICKS_TOKEN') }}\"\nhost: \"{{ secret('DATABRICKS_HOST') }}\"\n"
        "clusterName: kestra-demo\nnodeTypeId: n2-highmem-4\nnumWorkers: 1\nsparkVersion: 13.0.x-scala2.12\n",
    )

    clusterName: str = Field(description="The cluster's name.")
    sparkVersion: str = Field(description="Databricks runtime version.")
    nodeTypeId: str | None = Field(default=None, description="Node type of the workers.")
    autoTerminationMinutes: int | Expression | None = Field(default=None, description="Terminate after this many idle minutes.")
    numWorkers: int | Expression | None = Field(default=None, description="Fixed number of workers.")
    minWorkers: int | Expression | None = Field(default=None, description="Autoscaling minimum (with maxWorkers).")
    maxWorkers: int | Expression | None = Field(default=None, description="Autoscaling maximum.")

    def call(self, ctx: RunContext, client: Any) -> dict[str, Any]:
        from databricks.sdk.service.compute import AutoScale

        options: dict[str, Any] = {"cluster_name": ctx.render_string(self.clusterName),
                                   "spark_version": ctx.render_string(self.sparkVersion),
                                   "node_type_id": render_optional_text(ctx, self.nodeTypeId),
                                   "autotermination_minutes": render_optional(ctx, self.autoTerminationMinutes, int, "autoTerminationMinutes"),
                                   "num_workers": render_optional(ctx, self.numWorkers, int, "numWorkers")}
        low = render_optional(ctx, self.minWorkers, int, "minWorkers")
        high = render_optional(ctx, self.maxWorkers, int, "maxWorkers")
        if low is not None or high is not None:
            options["autoscale"] = AutoScale(min_workers=low, max_workers=high)
        cluster = client.clusters.create(**{k: v for k, v in options.items() if v is not None}).result()
        uri = f"{client.config.host}/#setting/clusters/{cluster.cluster_id}/configuration"
        ctx.logger.info(f"Cluster created: {uri}")
        return {"clusterId": cluster.cluster_id, "clusterURI": uri,
                "clusterState": cluster.state.value if cluster.state else None}


@TASKS.register
class DeleteCluster(DatabricksTask):
    """Delete a Databricks cluster permanently."""

    TYPE: ClassVar[str] = "databricks.cluster.DeleteCluster"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.cluster.DeleteCluster",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: delete_cluster\ntype: io.kestra.plugin.databricks.cluster.DeleteCluster\nauthentication:\n"
        "  token: \"{{ secret('DATABRICKS_TOKEN') }}\"\nhost: \"{{ secret('DATABRICKS_HOST') }}\"\n"
        "clusterId: \"{{ outputs.create_cluster.clusterId }}\"\n",
    )

    clusterId: str = Field(description="The cluster to delete.")

    def call(self, ctx: RunContext, client: Any) -> dict[str, Any]:
        cluster_id = ctx.render_string(self.clusterId)
        client.clusters.permanent_delete(cluster_id)
        ctx.logger.info(f"Cluster {cluster_id} deleted")
        return {}


def _snake(value: Any) -> Any:
    """Kestra's camelCase task settings as the Jobs API's snake_case fields."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = "source" if key == "sparkPythonTaskSource" else re.sub(r"(?<!^)([A-Z])", r"_\1", str(key)).lower()
            out[name] = item if name in ("base_parameters", "named_parameters", "job_parameters", "parameters") and isinstance(item, dict) else _snake(item)
        return out
    if isinstance(value, list):
        return [_snake(v) for v in value]
    return value


def _tasks(ctx: RunContext, settings: list[dict[str, Any]], prop: str) -> list[dict[str, Any]]:
    tasks = []
    for index, setting in enumerate(settings):
        body = _snake(ctx.render(setting))
        if not body.get("task_key"):
            raise TaskFailed(f"{prop}[{index}].taskKey is required")
        if "depends_on" in body:
            body["depends_on"] = [{"task_key": d} if isinstance(d, str) else d for d in body["depends_on"]]
        for kind in ("spark_python_task", "spark_submit_task", "spark_jar_task", "python_wheel_task"):
            params = (body.get(kind) or {}).get("parameters")
            if isinstance(params, str):
                body[kind]["parameters"] = [params]
        tasks.append(body)
    return tasks


class Waiting(DatabricksTask):
    waitForCompletion: Duration | Expression | None = Field(default=None, description="Wait up to this long for the run to end (and fail unless it succeeds); no wait when unset.")

    def wait(self, ctx: RunContext, client: Any, run_id: int) -> None:
        limit = render_optional(ctx, self.waitForCompletion, timedelta, "waitForCompletion")
        if limit is None:
            return
        from databricks.sdk.service.jobs import RunLifeCycleState, RunResultState

        run = client.jobs.wait_get_run_job_terminated_or_skipped(run_id=run_id, timeout=limit)
        state = run.state
        result = state.result_state if state else None
        if result != RunResultState.SUCCESS or (state and state.life_cycle_state == RunLifeCycleState.INTERNAL_ERROR):
            message = state.state_message if state else ""
            raise TaskFailed(f"Databricks run {run_id} ended {result.value if result else 'without a result'}: {message}")
        ctx.logger.info(f"Databricks run {run_id} succeeded")


@TASKS.register
class CreateJob(Waiting):
    """Create a Databricks job, run it now, and with waitForCompletion wait for the run. Outputs: jobId, jobURI,
    runId, runURI."""

    TYPE: ClassVar[str] = "databricks.job.CreateJob"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.job.CreateJob",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: create_job\ntype: io.kestra.plugin.databricks.job.CreateJob\nauthentication:\n"
        "  token: \"{{ secret('DATABRICKS_TOKEN') }}\"\nhost: \"{{ secret('DATABRICKS_HOST') }}\"\njobTasks:\n"
        "  - existingClusterId: \"{{ secret('DATABRICKS_CLUSTER_ID') }}\"\n    taskKey: taskKey\n    sparkPythonTask:\n"
        "      pythonFile: /Shared/hello.py\n      sparkPythonTaskSource: WORKSPACE\nwaitForCompletion: PT5M\n",
    )

    jobName: str | None = Field(default=None, description="The job's name.")
    jobTasks: list[dict[str, Any]] = Field(min_length=1, description="The job's tasks: taskKey, existingClusterId, notebookTask / sparkPythonTask / sqlTask / ..., dependsOn, libraries.")

    def call(self, ctx: RunContext, client: Any) -> dict[str, Any]:
        from databricks.sdk.service.jobs import Task

        tasks = [Task.from_dict(t) for t in _tasks(ctx, self.jobTasks, "jobTasks")]
        job = client.jobs.create(name=render_optional_text(ctx, self.jobName), tasks=tasks)
        run = client.jobs.run_now(job_id=job.job_id).response
        host = client.config.host
        out = {"jobId": job.job_id, "jobURI": f"{host}/#job/{job.job_id}", "runId": run.run_id,
               "runURI": f"{host}/#job/{job.job_id}/run/{run.run_id}"}
        ctx.logger.info(f"Job created: {out['jobURI']}, run {run.run_id}")
        self.wait(ctx, client, run.run_id)
        return out


@TASKS.register
class SubmitRun(Waiting):
    """Submit a one-time Databricks run and with waitForCompletion wait for it. Outputs: runId, runURI."""

    TYPE: ClassVar[str] = "databricks.job.SubmitRun"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.job.SubmitRun",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: submit_run\ntype: io.kestra.plugin.databricks.job.SubmitRun\nauthentication:\n"
        "  token: \"{{ secret('DATABRICKS_TOKEN') }}\"\nhost: \"{{ secret('DATABRICKS_HOST') }}\"\nrunTasks:\n"
        "  - existingClusterId: \"{{ secret('DATABRICKS_CLUSTER_ID') }}\"\n    taskKey: taskKey\n    sparkPythonTask:\n"
        "      pythonFile: /Shared/hello.py\n      sparkPythonTaskSource: WORKSPACE\nwaitForCompletion: PT5M\n",
    )

    runName: str | None = Field(default=None, description="The run's name.")
    runTasks: list[dict[str, Any]] = Field(min_length=1, description="The run's tasks (as jobTasks of CreateJob).")

    def call(self, ctx: RunContext, client: Any) -> dict[str, Any]:
        from databricks.sdk.service.jobs import SubmitTask

        tasks = [SubmitTask.from_dict(t) for t in _tasks(ctx, self.runTasks, "runTasks")]
        run_id = client.jobs.submit(run_name=render_optional_text(ctx, self.runName), tasks=tasks).response.run_id
        run = client.jobs.get_run(run_id)
        uri = f"{client.config.host}/#job/{run.job_id}/run/{run_id}"
        ctx.logger.info(f"Run submitted: {uri}")
        self.wait(ctx, client, run_id)
        return {"runId": run_id, "runURI": uri}


@TASKS.register
class Query(RunnableTask):
    """Run SQL on a Databricks SQL warehouse (Statement Execution API; the warehouse is the last part of
    httpPath) and store the rows in an Ion file. Outputs: uri, size."""

    TYPE: ClassVar[str] = "databricks.sql.Query"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.sql.Query",)
    REQUIRES: ClassVar[tuple[str, ...]] = ("databricks.sdk",)
    EXTRA: ClassVar[str] = "databricks"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: sql_query\ntype: io.kestra.plugin.databricks.sql.Query\naccessToken: \"{{ secret('DATABRICKS_TOKEN') }}\"\n"
        "host: \"{{ secret('DATABRICKS_HOST') }}\"\nhttpPath: /sql/1.0/warehouses/abc123\nsql: SELECT 1\n",
    )

    host: str = Field(description="Workspace host.")
    httpPath: str = Field(description="The SQL warehouse's HTTP path (/sql/1.0/warehouses/<id>).")
    catalog: str | None = Field(default=None, description="Default catalog.")
    schema_: str | None = Field(default=None, alias="schema", description="Default schema.")
    accessToken: str | None = Field(default=None, description="Personal access token.")
    properties: dict[str, str] | None = Field(default=None, description="JDBC driver properties; accepted.")
    sql: str = Field(description="The SQL to run.")
    timeZoneId: str | None = Field(default=None, description="Time zone of timestamps; accepted.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, ctx)

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        from databricks.sdk.service.sql import StatementState

        host = ctx.render_string(self.host)
        client = workspace(ctx, host if "://" in host else f"https://{host}", token=self.accessToken)
        warehouse = ctx.render_string(self.httpPath).rstrip("/").rsplit("/", 1)[-1]
        try:
            answer = client.statement_execution.execute_statement(
                statement=ctx.render_string(self.sql), warehouse_id=warehouse, catalog=render_optional_text(ctx, self.catalog),
                schema=render_optional_text(ctx, self.schema_), wait_timeout="50s")
            while answer.status and answer.status.state in (StatementState.PENDING, StatementState.RUNNING):
                answer = client.statement_execution.get_statement(answer.statement_id)
        except Exception as exc:
            raise TaskFailed(f"Databricks SQL failed: {exc}") from None
        if answer.status is None or answer.status.state != StatementState.SUCCEEDED:
            error = answer.status.error.message if answer.status and answer.status.error else "no result"
            raise TaskFailed(f"Databricks SQL failed: {error}")
        columns = [c.name for c in (answer.manifest.schema.columns or [])] if answer.manifest and answer.manifest.schema else []
        rows: list[dict[str, Any]] = []
        chunk = answer.result
        while chunk is not None:
            rows.extend(dict(zip(columns, values, strict=False)) for values in (chunk.data_array or []))
            index = chunk.next_chunk_index
            chunk = client.statement_execution.get_statement_result_chunk_n(answer.statement_id, index) if index else None
        with tempfile.NamedTemporaryFile("w", suffix=".ion", delete=False, encoding="utf-8") as handle:
            handle.writelines(ion.dumps(r) + "\n" for r in rows)
        path = Path(handle.name)
        try:
            uri = ctx.storage.put_file(output_uri(ctx, "result.ion"), path)
        finally:
            path.unlink(missing_ok=True)
        return {"uri": uri, "size": len(rows)}


@TASKS.register
class Upload(DatabricksTask):
    """Upload a file of internal storage to DBFS (replacing the file there)."""

    TYPE: ClassVar[str] = "databricks.dbfs.Upload"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.dbfs.Upload",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: upload\ntype: io.kestra.plugin.databricks.dbfs.Upload\nhost: \"{{ secret('DATABRICKS_HOST') }}\"\n"
        "authentication:\n  token: \"{{ secret('DATABRICKS_TOKEN') }}\"\nfrom: \"{{ inputs.file }}\"\nto: /Shared/orders.parquet\n",
    )

    from_: str = Field(alias="from", description="The file to upload (kestra:/// URI).")
    to: str = Field(description="The DBFS path to write.")

    def call(self, ctx: RunContext, client: Any) -> dict[str, Any]:
        from legato.plugins.core import storage_stream as stream
        from legato.plugins.core.storage_files import source_uri

        uri = source_uri(ctx, self.from_)
        target = ctx.render_string(self.to)
        with stream.opened(ctx, uri) as handle:
            client.dbfs.upload(target, handle, overwrite=True)
        ctx.logger.info(f"{uri} uploaded to dbfs:{target}")
        return {}


@TASKS.register
class Download(DatabricksTask):
    """Download a DBFS file into internal storage. Output: uri."""

    TYPE: ClassVar[str] = "databricks.dbfs.Download"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.dbfs.Download",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: download\ntype: io.kestra.plugin.databricks.dbfs.Download\nhost: \"{{ secret('DATABRICKS_HOST') }}\"\n"
        "authentication:\n  token: \"{{ secret('DATABRICKS_TOKEN') }}\"\nfrom: /Shared/orders.parquet\n",
    )

    from_: str = Field(alias="from", description="The DBFS path to read.")

    def call(self, ctx: RunContext, client: Any) -> dict[str, Any]:
        source = ctx.render_string(self.from_)
        name = source.rstrip("/").rsplit("/", 1)[-1] or "file"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            with client.dbfs.download(source) as remote, path.open("wb") as out:
                while chunk := remote.read(1 << 20):
                    out.write(chunk)
            return {"uri": ctx.storage.put_file(output_uri(ctx, name), path)}
