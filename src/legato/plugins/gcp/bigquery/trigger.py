"""The BigQuery polling trigger: run `sql` every `interval` (default PT1M) and start the flow when it returns
rows; `trigger.rows` / `trigger.row` / `trigger.uri` with `trigger.size` as fetchType says, as Query's outputs."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TRIGGERS
from legato.plugins.gcp import auth
from legato.plugins.gcp.bigquery.base import PREFIX, raise_for, row_values
from legato.plugins.gcp.bigquery.jobs import FetchType
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext
from legato.storage import ion


@TRIGGERS.register
class Trigger(PollingTrigger):
    """Start an execution when a BigQuery query returns rows."""

    TYPE: ClassVar[str] = "gcp.bigquery.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Trigger",)
    REQUIRES: ClassVar[tuple[str, ...]] = ("google.cloud.bigquery",)
    EXTRA: ClassVar[str] = "gcp"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: new_orders
type: io.kestra.plugin.gcp.bigquery.Trigger
interval: PT5M
sql: SELECT * FROM shop.orders WHERE processed = false
fetchType: FETCH
""",
    )

    projectId: str | None = Field(default=None, description="The GCP project; default: the credentials' project.")
    serviceAccount: str | None = Field(default=None, description="A service account key's JSON text.")
    impersonatedServiceAccount: str | None = Field(default=None, description="A service account to impersonate.")
    scopes: list[str] = Field(default_factory=lambda: [auth.CLOUD_PLATFORM], description="OAuth scopes.")
    location: str | None = Field(default=None, description="Location of the jobs.")
    sql: str = Field(description="The query (rendered); the trigger fires when it returns rows.")
    legacySql: bool = Field(default=False, description="Use BigQuery's legacy SQL.")
    fetchType: FetchType = Field(default="NONE", description="NONE (only trigger.size), FETCH, FETCH_ONE or STORE.")
    fetch: bool = Field(default=False, description="Deprecated: fetchType FETCH.")
    store: bool = Field(default=False, description="Deprecated: fetchType STORE.")
    fetchOne: bool = Field(default=False, description="Deprecated: fetchType FETCH_ONE.")

    def mode(self) -> str:
        return "FETCH_ONE" if self.fetchOne else "STORE" if self.store else "FETCH" if self.fetch else self.fetchType

    def source(self) -> PollingSource:
        return _Source(self)


class _Source:
    def __init__(self, trigger: Trigger) -> None:
        self.trigger = trigger

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        t = self.trigger
        sql = str(ctx.render(t.sql))

        def render(value: str | None) -> str | None:
            return None if value is None else str(ctx.render(value))

        client = auth.bigquery_client(render(t.projectId), render(t.serviceAccount), render(t.impersonatedServiceAccount),
                                      list(t.scopes), render(t.location))
        return await asyncio.to_thread(self._run, ctx, client, sql)

    def _run(self, ctx: TriggerContext, client: Any, sql: str) -> Poll | None:
        from google.cloud import bigquery

        t = self.trigger
        try:
            job = client.query(sql, job_config=bigquery.QueryJobConfig(use_legacy_sql=t.legacySql))
            result = job.result()
        except Exception as exc:
            raise raise_for(exc, f"trigger '{t.id}' query") from None
        rows = [row_values(r) for r in result]
        if not rows:
            return None
        mode = t.mode()
        found: dict[str, Any] = {"jobId": job.job_id, "size": len(rows)}
        if mode == "FETCH":
            found["rows"] = rows
        elif mode == "FETCH_ONE":
            found["row"] = rows[0]
        elif mode == "STORE":
            if ctx.storage is None:
                raise ValueError(f"trigger '{t.id}': fetchType STORE needs internal storage")
            with tempfile.NamedTemporaryFile("w", suffix=".ion", delete=False, encoding="utf-8") as handle:
                handle.writelines(ion.dumps(r) + "\n" for r in rows)
            path = Path(handle.name)
            try:
                found["uri"] = ctx.storage.put_file(ctx.file_uri("rows.ion"), path)
            finally:
                path.unlink(missing_ok=True)
        return Poll(variables=found)
