"""execution.PurgeExecutions and log.PurgeLogs: delete old executions (with their logs and files) and old log
lines of the flow's namespace, as Kestra's tasks of the same names do in a scheduled clean-up flow;
execution.Count: how many executions each flow had in a time range. A flow reaches its own namespace and the
namespaces under it only (namespaces separate authors who do not trust each other, docs/security.md)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from legato.expressions import truthy
from legato.model import state as st
from legato.model.state import State
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import RunnableTask, render_optional_text
from legato.store.ports import ExecutionFilter, LogFilter

PAGE = 200
LogLevel = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]


def reachable(ctx: RunContext, namespace: str | None, prop: str = "namespace") -> str:
    """`namespace` (the flow's own when unset), refused unless it is the flow's namespace or one under it."""
    own = ctx.flow_namespace
    target = namespace or own
    if target != own and not target.startswith(own + "."):
        raise TaskFailed(f"property '{prop}': {target!r} is outside this flow's namespace {own!r}; a flow may only "
                         f"reach its own namespace and the namespaces under it")
    return target


def render_date(ctx: RunContext, value: str | None, prop: str) -> datetime | None:
    """A date property (`{{ now() | dateAdd(-1, 'MONTHS') }}`, an ISO text) as an aware datetime."""
    if value is None:
        return None
    rendered = ctx.render(value)
    if isinstance(rendered, datetime):
        parsed = rendered
    else:
        text = str(rendered).strip().split("[", 1)[0]  # Kestra's ZonedDateTime text ends with [Zone/Name]
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise TaskFailed(f"property '{prop}': {text!r} is not an ISO-8601 date") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@TASKS.register
class PurgeExecutions(RunnableTask):
    """Delete the ended executions of this namespace (or one flow of it) created between `startDate` and
    `endDate`, with their logs and their files in internal storage. Executions still running are never
    touched, whatever `states` lists."""

    TYPE: ClassVar[str] = "execution.PurgeExecutions"
    ALIASES: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.execution.PurgeExecutions", "io.kestra.plugin.core.storage.Purge",
        "io.kestra.core.tasks.storages.Purge",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: purge
type: io.kestra.plugin.core.execution.PurgeExecutions
endDate: "{{ now() | dateAdd(-1, 'MONTHS') }}"
states: [KILLED, FAILED, WARNING, SUCCESS]
""",
    )

    namespace: str | None = Field(default=None, description="Namespace (and the ones under it) whose executions are purged; the flow's own by default.")
    flowId: str | None = Field(default=None, description="Only this flow of `namespace`.")
    startDate: str | None = Field(default=None, description="Only executions created at or after this date.")
    endDate: str = Field(description="Only executions created at or before this date.")
    states: list[State] | None = Field(default=None, description="Only executions that ended in these states (default: any end).")
    purgeExecution: bool = Field(default=True, description="Delete the executions themselves (their logs go with them).")
    purgeLog: bool = Field(default=True, description="Delete their logs.")
    purgeMetric: bool = Field(default=True, description="Accepted for Kestra's flows: Legato keeps no metrics apart from the task runs.")
    purgeStorage: bool = Field(default=True, description="Delete their files in internal storage.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace = reachable(ctx, render_optional_text(ctx, self.namespace))
        flow_id = render_optional_text(ctx, self.flowId)
        states = frozenset(self.states or st.TERMINAL) & st.TERMINAL
        filters = ExecutionFilter(namespace=namespace, flow_id=flow_id, states=states,
                                  created_from=render_date(ctx, self.startDate, "startDate"),
                                  created_to=render_date(ctx, self.endDate, "endDate"))
        counts = await asyncio.to_thread(self._purge, ctx, filters)
        return {"executionsCount": counts[0], "logsCount": counts[1], "storagesCount": counts[2], "metricsCount": 0}

    def _purge(self, ctx: RunContext, filters: ExecutionFilter) -> tuple[int, int, int]:
        executions = logs = files = 0
        offset = 0
        while True:
            page, _ = ctx.operations.search_executions(filters, limit=PAGE, offset=offset)
            for execution in page:
                if filters.flow_id is not None and execution.namespace != filters.namespace:
                    continue  # with a flow id, the namespace is the flow's own, not a prefix
                if execution.id == ctx.execution.id:
                    continue
                if self.purgeLog:
                    logs += ctx.operations.delete_logs(LogFilter(execution_id=execution.id))
                if self.purgeStorage:
                    files += ctx.operations.delete_execution_files(execution)
                if self.purgeExecution and ctx.operations.delete_execution(execution.id):
                    executions += 1
            if len(page) < PAGE:
                return executions, logs, files
            if not self.purgeExecution:
                offset += PAGE  # the page stays in place: move past it


@TASKS.register
class PurgeLogs(RunnableTask):
    """Delete the log lines of this namespace's executions (or one flow's) written between `startDate` and
    `endDate`, at the `logLevels` given (every level by default)."""

    TYPE: ClassVar[str] = "log.PurgeLogs"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.log.PurgeLogs",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: purge_logs
type: io.kestra.plugin.core.log.PurgeLogs
endDate: "{{ now() | dateAdd(-1, 'MONTHS') }}"
logLevels: [TRACE, DEBUG, INFO]
""",
    )

    namespace: str | None = Field(default=None, description="Namespace (and the ones under it) whose logs are purged; the flow's own by default.")
    flowId: str | None = Field(default=None, description="Only the logs of this flow of `namespace`.")
    logLevels: list[LogLevel] | None = Field(default=None, description="Only lines at these levels (default: all).")
    startDate: str | None = Field(default=None, description="Only lines written at or after this date.")
    endDate: str = Field(description="Only lines written at or before this date.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        filters = LogFilter(
            namespace=reachable(ctx, render_optional_text(ctx, self.namespace)),
            flow_id=render_optional_text(ctx, self.flowId),
            levels=frozenset(self.logLevels) if self.logLevels else None,
            time_from=render_date(ctx, self.startDate, "startDate"), time_to=render_date(ctx, self.endDate, "endDate"),
        )
        return {"count": await asyncio.to_thread(ctx.operations.delete_logs, filters)}


class CountedFlow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str = Field(description="Namespace of the flow.")
    flowId: str = Field(description="Id of the flow.")


@TASKS.register
class Count(RunnableTask):
    """Count the executions of some flows (or of every flow of some namespaces) created since `startDate`, and
    keep the flows whose count makes `expression` true: `results` ({namespace, flowId, count}) and their
    `total`. A flow with no execution counts 0, so `{{ count == 0 }}` finds the flows that did not run."""

    TYPE: ClassVar[str] = "execution.Count"
    ALIASES: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.execution.Count", "io.kestra.plugin.core.execution.Counts",
        "io.kestra.core.tasks.executions.Counts",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: counts
type: io.kestra.plugin.core.execution.Count
expression: "{{ count == 0 }}"
flows:
  - namespace: company.team
    flowId: logs
startDate: "{{ now() | dateAdd(-1, 'DAYS') }}"
""",
    )

    flows: list[CountedFlow] | None = Field(default=None, description="The flows to count (or give `namespaces`).")
    namespaces: list[str] | None = Field(default=None, description="Count every flow of these namespaces.")
    states: list[State] | None = Field(default=None, description="Only executions in these states.")
    startDate: str = Field(description="Only executions created at or after this date.")
    endDate: str | None = Field(default=None, description="Only executions created at or before this date.")
    expression: str = Field(description="Kept when true for the flow's `count` (`{{ count >= 5 }}`).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if self.flows is None and self.namespaces is None:
            raise TaskFailed("give `flows` or `namespaces` to count")
        wanted = [(reachable(ctx, f.namespace, "flows"), f.flowId) for f in self.flows or ()]
        for namespace in self.namespaces or ():
            reachable(ctx, namespace, "namespaces")
            wanted += [(r.namespace, r.id) for r in ctx.operations.flows_in(namespace, children=False)]
        start, end = render_date(ctx, self.startDate, "startDate"), render_date(ctx, self.endDate, "endDate")
        states = frozenset(self.states) if self.states else None
        results = []
        for namespace, flow_id in dict.fromkeys(wanted):
            counted = await asyncio.to_thread(ctx.operations.count_executions, ExecutionFilter(
                namespace=namespace, flow_id=flow_id, states=states, created_from=start, created_to=end))
            count = counted.get((namespace, flow_id), 0)
            if truthy(ctx.render_with(self.expression, {"count": count})):
                results.append({"namespace": namespace, "flowId": flow_id, "count": count})
        return {"results": results, "total": sum(r["count"] for r in results)}
