"""What every BigQuery task shares: Kestra's connection properties, the client, job ids, table ids, and
BigQuery values turned into JSON-safe outputs."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.gcp import auth
from legato.plugins.jdbc.values import jsonable
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_optional_text

PREFIX = "io.kestra.plugin.gcp.bigquery"
WriteDisposition = Literal["WRITE_TRUNCATE", "WRITE_APPEND", "WRITE_EMPTY", "WRITE_TRUNCATE_DATA"]
CreateDisposition = Literal["CREATE_IF_NEEDED", "CREATE_NEVER"]
RETRY_REASONS = ["rateLimitExceeded", "jobBackendError", "backendError", "internalError", "jobInternalError"]
RETRY_MESSAGES = ["due to concurrent update", "Retrying the job may solve the problem", "Retrying may solve the problem"]


class GcpConnection(RunnableTask):
    """Kestra's GCP connection properties."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("google.cloud.bigquery",)
    EXTRA: ClassVar[str] = "gcp"

    projectId: str | None = Field(default=None, description="The GCP project; default: the credentials' project.")
    serviceAccount: str | None = Field(default=None, description="A service account key's JSON text; default: the application default credentials.")
    impersonatedServiceAccount: str | None = Field(default=None, description="A service account to impersonate.")
    scopes: list[str] | Expression = Field(default_factory=lambda: [auth.CLOUD_PLATFORM], description="OAuth scopes of the credentials.")


class BigQueryTask(GcpConnection):
    location: str | None = Field(default=None, description="Location of the datasets and jobs (e.g. EU, US).")
    retryAuto: dict[str, Any] | None = Field(default=None, description="Kestra's automatic retry policy of BigQuery errors; accepted.")
    retryReasons: list[str] | Expression = Field(default_factory=lambda: list(RETRY_REASONS), description="BigQuery error reasons that are retried; accepted.")
    retryMessages: list[str] | Expression = Field(default_factory=lambda: list(RETRY_MESSAGES), description="Error message parts that are retried; accepted.")

    def client(self, ctx: RunContext) -> Any:
        scopes = [str(s) for s in render_as(ctx, ctx.render(self.scopes), list[str], "scopes")]
        return auth.bigquery_client(render_optional_text(ctx, self.projectId), render_optional_text(ctx, self.serviceAccount),
                                    render_optional_text(ctx, self.impersonatedServiceAccount), scopes,
                                    render_optional_text(ctx, self.location))


def job_id(ctx: RunContext) -> str:
    """A job id naming the flow, task and execution (BigQuery allows letters, digits, `_` and `-`)."""
    e = ctx.execution
    raw = f"{e.namespace}_{e.flow_id}_{ctx.task_run.task_id}_{e.id}_{secrets.token_hex(4)}"
    return re.sub(r"[^A-Za-z0-9_-]", "_", raw)[:1024]


def table_ref(client: Any, text: str, prop: str) -> Any:
    """`dataset.table` or `project.dataset.table` as a TableReference."""
    from google.cloud.bigquery import TableReference

    parts = text.strip().replace(":", ".").split(".")
    if len(parts) == 2:
        parts = [client.project, *parts]
    if len(parts) != 3 or not all(parts):
        raise TaskFailed(f"property '{prop}' must be dataset.table or project.dataset.table, not {text!r}")
    return TableReference.from_string(".".join(parts))


def row_values(row: Any) -> dict[str, Any]:
    return {key: jsonable(value) for key, value in row.items()}


def raise_for(exc: Exception, what: str) -> TaskFailed:
    """A client error as a TaskFailed naming what was done, BigQuery's reason and message."""
    errors = [e for e in (getattr(exc, "errors", None) or []) if isinstance(e, dict) and e.get("message")]
    if errors:
        first = errors[0]
        return TaskFailed(f"BigQuery {what} failed: {first.get('reason') or 'error'}: {first['message']}")
    return TaskFailed(f"BigQuery {what} failed: {getattr(exc, 'message', None) or exc}")


def seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()
