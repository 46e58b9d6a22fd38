"""log.Fetch: an execution's logs (the current one by default) written to a file of internal storage, one
JSON document a line (valid ION text, as Kestra writes them), read page by page so the log's length does not
matter."""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.execution import LogRecord
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_optional_text

Level = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
PAGE = 1000


@TASKS.register
class Fetch(RunnableTask):
    """Write the logs of an execution at `level` or above (optionally only those of some tasks) to a file of
    internal storage; `uri` names it and `size` counts its lines. Another execution is looked up in the current
    flow unless `namespace` and `flowId` name another one."""

    TYPE: ClassVar[str] = "log.Fetch"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.log.Fetch", "io.kestra.core.tasks.log.Fetch")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: errors
type: io.kestra.plugin.core.log.Fetch
level: ERROR
""",
        """\
id: hello_logs
type: io.kestra.plugin.core.log.Fetch
executionId: "{{ trigger.executionId }}"
namespace: "{{ trigger.namespace }}"
flowId: "{{ trigger.flowId }}"
tasksId:
  - hello
""",
    )

    namespace: str | None = Field(default=None, description="Namespace of the execution's flow; the current flow's by default.")
    flowId: str | None = Field(default=None, description="Id of the execution's flow; the current flow by default.")
    executionId: str | None = Field(default=None, description="The execution whose logs to fetch; the current one by default.")
    tasksId: list[str] | Expression | None = Field(default=None, description="Only the logs of these tasks.")
    level: Level | Expression = Field(default="INFO", description="The lowest level fetched: TRACE, DEBUG, INFO, WARN or ERROR.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        execution_id = self._execution(ctx)
        level: str = render_as(ctx, self.level, Level, "level")
        tasks = set(render_as(ctx, self.tasksId, list[str], "tasksId")) if self.tasksId is not None else None
        namespace, flow_id = self._flow(ctx)

        def fetch() -> tuple[str, int]:
            count = after = 0
            with stream.Output(ctx, f"{ctx.task_run.task_id}.ion") as out:
                while page := ctx.operations.execution_logs(execution_id, min_level=level, after=after, limit=PAGE):
                    for position, record in page:
                        after = position
                        if tasks is None or record.task_id in tasks:
                            out.write(_line(record, namespace, flow_id))
                            count += 1
                    if len(page) < PAGE:
                        break
                return out.save(), count

        uri, size = await asyncio.to_thread(fetch)
        return {"uri": uri, "size": size}

    def _flow(self, ctx: RunContext) -> tuple[str, str]:
        return (render_optional_text(ctx, self.namespace) or ctx.flow_namespace,
                render_optional_text(ctx, self.flowId) or ctx.flow_id)

    def _execution(self, ctx: RunContext) -> str:
        wanted = render_optional_text(ctx, self.executionId)
        if not wanted or wanted == ctx.execution.id:
            return ctx.execution.id
        namespace, flow_id = self._flow(ctx)
        found = ctx.operations.find_execution(wanted)
        # an execution of another flow is only reachable by naming that flow: one id alone reads no foreign logs
        if found is None or (found.namespace, found.flow_id) != (namespace, flow_id):
            raise TaskFailed(f"no execution {wanted} of the flow {namespace}.{flow_id}")
        return found.id


def log_entry(record: LogRecord, namespace: str, flow_id: str) -> dict[str, Any]:
    """A log line as Kestra writes one out (its LogEntry's JSON): unset fields left out."""
    entry = {
        "namespace": namespace, "flowId": flow_id, "taskId": record.task_id, "executionId": record.execution_id,
        "taskRunId": record.task_run_id, "attemptNumber": record.attempt, "timestamp": record.timestamp.isoformat(),
        "level": record.level, "message": record.message,
    }
    return {k: v for k, v in entry.items() if v is not None}


def _line(record: LogRecord, namespace: str, flow_id: str) -> bytes:
    return (json.dumps(log_entry(record, namespace, flow_id), ensure_ascii=False) + "\n").encode()
