"""log.LogShipper (Kestra EE's `io.kestra.plugin.ee.core.log.LogShipper`, in Legato's open core): send the log
lines written since its last run to one or more destinations (`logExporters`: a file of internal storage, Datadog,
Splunk, New Relic, Graylog, an OpenTelemetry collector, Elasticsearch, OpenSearch, CloudWatch Logs, S3, Cloud Storage),
typically from a scheduled flow.

Where the last run stopped is kept in the KV store of the flow's namespace under `offsetKey` (the position of the
last line shipped, and its date), so each line is shipped once even if runs overlap a day boundary; the first run
starts `lookbackPeriod` ago. The offset moves only once every exporter has taken every line: a failed run ships
the same lines again next time (at least once). With `delete: true`, exactly the lines shipped are then deleted.

A flow ships the lines of its own namespace and the namespaces under it (all of them by default), never another
team's: Kestra's shipper reads every namespace of the tenant; in Legato that takes a flow in a parent namespace."""

from __future__ import annotations

import asyncio
import os
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from legato.model.durations import Duration
from legato.model.execution import LogRecord
from legato.model.task import TASKS
from legato.plugins.aws.log_exporters import AWS_EXPORTERS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.log_exporters import HTTP_EXPORTERS, Entry, FileLogExporter, LogExporter, Shipment
from legato.plugins.core.log_fetch import log_entry
from legato.plugins.core.purge import reachable
from legato.plugins.elasticsearch.log_exporter import SEARCH_EXPORTERS
from legato.plugins.gcp.log_exporter import GCP_EXPORTERS
from legato.plugins.runnable import (
    Expression,
    RunnableTask,
    render_as,
    render_duration,
    render_optional_text,
    render_text,
)
from legato.plugins.subplugins import sub_plugin
from legato.store.ports import LogFilter
from legato.store.ports.governance import AuditFilter, AuditRecord

Level = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
Exporter = Annotated[LogExporter, *sub_plugin("log exporter", [FileLogExporter, *HTTP_EXPORTERS, *AWS_EXPORTERS,
                                                                 *GCP_EXPORTERS, *SEARCH_EXPORTERS])]


@dataclass(frozen=True)
class Read:
    """One read from the store: the entries to ship (some rows read may be left out), the position and date of
    the last row read, and whether it returned as many rows as asked (then there may be more)."""

    entries: list[Entry]
    position: int
    date: datetime
    full: bool


Reader = Callable[[int, int, datetime | None], Read | None]  # (after, limit, since): None when nothing is left
SYSTEM_ENV = "LEGATO_SYSTEM_NAMESPACE"


def system_namespace() -> str:
    """The namespace of the tenant's system flows (Kestra's `system`): its shippers read every namespace."""
    return os.environ.get(SYSTEM_ENV, "").strip() or "system"


class Shipper(RunnableTask):
    """What the shippers share (logs, audit entries, asset uses): where the first run starts, the offset kept in KV,
    and `ship`, which hands what `read` finds to every exporter and moves the offset."""

    DATE_OUTPUT: ClassVar[str] = "lastLogDate"
    NOUNS: ClassVar[tuple[str, str]] = ("entry", "entries")
    WHOSE: ClassVar[str] = "a log shipper's"

    lookbackPeriod: Duration | Expression = Field(default="P1D", description="How far back the first run starts (ISO-8601 duration); later runs start where the last one stopped.")
    offsetKey: str = Field(default="LogShipper-state", description="KV key of the flow's namespace that keeps where the last run stopped.")
    batchSize: int | Expression = Field(default=1000, description="Entries read from the store at a time.")

    @abstractmethod
    def exporters(self) -> list[LogExporter]:
        """The task's exporters (its `logExporters`, `assetExporters`...)."""

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [e.id for e in self.exporters()]
        doubles = sorted({i for i in ids if ids.count(i) > 1})
        if doubles:
            raise ValueError(f"exporter ids must be unique: {', '.join(doubles)} used twice")
        return self

    async def ship(self, ctx: RunContext, read: Reader) -> tuple[int, int, dict[str, Any]]:
        """Read past the stored offset with `read(after, limit, since)` (`since`: the lookback's start on a first
        run, else None), hand the entries to every exporter, then move the offset: (first position, last
        position, outputs). The offset moves only once every exporter has taken every entry."""
        key = render_text(ctx, self.offsetKey)
        batch = render_as(ctx, self.batchSize, int, "batchSize")
        if batch < 1:
            raise TaskFailed(f"property 'batchSize': must be at least 1, got {batch}")
        first = self._offset(ctx, key)
        since = self.since(ctx, first)
        shipments = {e.id: e.open(ctx) for e in self.exporters()}
        last, last_date, size = first, None, 0
        try:
            while (done := await asyncio.to_thread(read, last, batch, since)) is not None:
                if done.entries:
                    for shipment in shipments.values():
                        await shipment.send(done.entries)
                last, last_date, size = done.position, done.date, size + len(done.entries)
                if not done.full:
                    break
        except BaseException:
            for shipment in shipments.values():
                await shipment.abort()
            raise
        outputs = await _close(shipments)
        date = last_date.isoformat() if last_date else None
        if last != first:
            ctx.kv.set(key, {"position": last, self.DATE_OUTPUT: date}, type="JSON", ttl_seconds=None)
        ctx.logger.info(f"shipped {size} {self.NOUNS[0] if size == 1 else self.NOUNS[1]} to {', '.join(shipments)}")
        return first, last, {"size": size, "offsetKey": key, self.DATE_OUTPUT: date, "outputs": outputs}

    def since(self, ctx: RunContext, first: int) -> datetime | None:
        """Where the first run starts (None for later runs: they start at the stored position)."""
        return ctx.now() - render_duration(ctx, self.lookbackPeriod, "lookbackPeriod") if first == 0 else None

    def _offset(self, ctx: RunContext, key: str) -> int:
        """The position the last run stopped at (0: no run yet)."""
        found = ctx.kv.get(key)
        if found is None:
            return 0
        value = found[1]
        if not isinstance(value, dict) or not isinstance(value.get("position"), int):
            raise TaskFailed(f"the KV entry '{key}' does not hold {self.WHOSE} offset; set offsetKey to another key")
        position: int = value["position"]
        return position


class _LogShippers(Shipper):
    logExporters: list[Exporter] = Field(min_length=1, description="Where the entries go: one or more exporters, each with its `id` and `type`.")

    def exporters(self) -> list[LogExporter]:
        return self.logExporters


@TASKS.register
class LogShipper(_LogShippers):
    """Ship the log lines written since the last run, at `logLevelFilter` or above, to every exporter of
    `logExporters`. Outputs: `size` (lines shipped), `offsetKey`, `lastLogDate`, and `outputs` per exporter id
    (`uris` of the files written, `requests` sent, `events` put)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.core.log.LogShipper"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: ship_logs
type: io.kestra.plugin.ee.core.log.LogShipper
logLevelFilter: INFO
lookbackPeriod: P1D
logExporters:
  - id: file
    type: io.kestra.plugin.ee.core.log.FileLogExporter
    format: JSON
    maxLinesPerFile: 10000
""",
        """\
id: to_datadog
type: io.kestra.plugin.ee.core.log.LogShipper
logExporters:
  - id: datadog
    type: io.kestra.plugin.ee.datadog.LogExporter
    basePath: https://http-intake.logs.datadoghq.eu
    apiKey: "{{ secret('DATADOG_API_KEY') }}"
""",
    )

    logLevelFilter: Level | Expression = Field(default="INFO", description="The lowest level shipped: TRACE, DEBUG, INFO, WARN or ERROR.")
    namespace: str | None = Field(default=None, description="Only the lines of this namespace and those under it: the flow's own or one under it (a flow of the system namespace may name any, and ships every namespace by default).")
    flowId: str | None = Field(default=None, description="Only the lines of this flow of `namespace`.")
    delete: bool | Expression = Field(default=False, description="Delete the lines once every exporter has shipped them.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        wanted = render_optional_text(ctx, self.namespace)
        system = ctx.flow_namespace == system_namespace()
        filters = LogFilter(namespace=wanted if system else reachable(ctx, wanted),
                            flow_id=render_optional_text(ctx, self.flowId),
                            min_level=render_as(ctx, self.logLevelFilter, Level, "logLevelFilter"), time_to=ctx.now())
        flows: dict[str, tuple[str, str]] = {}

        def read(after: int, limit: int, since: datetime | None) -> Read | None:
            lines = ctx.operations.logs_after(replace(filters, time_from=since), after=after, limit=limit)
            if not lines:
                return None
            entries = [self._entry(ctx, record, flows) for _, record in lines]
            return Read(entries, lines[-1][0], lines[-1][1].timestamp, len(lines) == limit)

        first, last, outputs = await self.ship(ctx, read)
        if last != first and render_as(ctx, self.delete, bool, "delete"):
            shipped = replace(filters, time_from=self.since(ctx, first), positions=(first, last))
            await asyncio.to_thread(ctx.operations.delete_logs, shipped)
        return outputs

    @staticmethod
    def _entry(ctx: RunContext, record: LogRecord, flows: dict[str, tuple[str, str]]) -> Entry:
        if record.execution_id not in flows:
            found = ctx.operations.find_execution(record.execution_id)
            flows[record.execution_id] = (found.namespace, found.flow_id) if found else ("", "")
        namespace, flow_id = flows[record.execution_id]
        return log_entry(record, namespace, flow_id)


@TASKS.register
class AuditLogShipper(_LogShippers):
    """Ship the audit log entries (who did what, when, from where, and the change) appended since the last run,
    of the `resources` listed (all by default), to every exporter of `logExporters`. Only a flow of the system
    namespace may read the tenant's audit log; entries are never deleted by a flow (the retention setting
    removes old ones)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.core.log.AuditLogShipper"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: ship_audit
type: io.kestra.plugin.ee.core.log.AuditLogShipper
resources: [FLOW, EXECUTION]
lookbackPeriod: P1D
offsetKey: audit_shipper_offset
logExporters:
  - id: file
    type: io.kestra.plugin.ee.core.log.FileLogExporter
""",
    )

    resources: list[str] | None = Field(default=None, description="Only entries of these resources (FLOW, EXECUTION, SECRET, ...; all by default).")
    delete: Literal[False] = Field(default=False, description="Accepted for Kestra's flows, false only: a flow never deletes audit entries.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if ctx.flow_namespace != system_namespace():
            raise TaskFailed(f"the audit log is shipped by a flow of the system namespace '{system_namespace()}' only, "
                             f"not '{ctx.flow_namespace}' (set {SYSTEM_ENV} to use another)")
        wanted = {r.upper() for r in self.resources} if self.resources else None

        def read(after: int, limit: int, since: datetime | None) -> Read | None:
            found = ctx.operations.audit_after(AuditFilter(after_id=after, since=since), limit=limit)
            if not found:
                return None
            entries = [_audit_entry(r) for r in found if wanted is None or r.entry.resource in wanted]
            return Read(entries, found[-1].id, found[-1].entry.at, len(found) == limit)

        _, _, outputs = await self.ship(ctx, read)
        return outputs


def _audit_entry(record: AuditRecord) -> Entry:
    """An audit entry with Kestra's AuditLog field names (and `message`/`level`/`timestamp`, which the log
    intakes read)."""
    e = record.entry
    entry = {"id": record.id, "tenantId": e.tenant, "date": e.at.isoformat(), "timestamp": e.at.isoformat(),
             "type": e.action, "resource": e.resource, "resourceId": e.resource_id, "namespace": e.namespace,
             "userId": e.actor, "actorKind": e.actor_kind, "ipAddress": e.ip, "tokenId": e.token_id,
             "details": e.details, "level": "INFO",
             "message": f"{e.actor} {e.action} {e.resource} {e.resource_id}"}
    return {k: v for k, v in entry.items() if v is not None}


async def _close(shipments: dict[str, Shipment]) -> dict[str, Any]:
    """Every shipment closed (each gets its chance even when one fails); the first failure is raised after."""
    outputs: dict[str, Any] = {}
    error: BaseException | None = None
    for exporter, shipment in shipments.items():
        try:
            outputs[exporter] = await shipment.close()
        except TaskFailed as exc:
            error = error or exc
    if error is not None:
        raise error
    return outputs
