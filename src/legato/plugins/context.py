"""What a runnable task sees while it runs on a worker. The worker implements it; tasks only use it.

A runnable task is a `legato.model.task.Task` subclass with `async def run(self, ctx: RunContext) -> dict`
returning its outputs. It raises `TaskFailed` to fail (the message becomes the task run's error), and
asks for changes to its execution through `ctx.effects`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from legato.model.state import State

if TYPE_CHECKING:  # annotations only: a task module is imported to parse a flow, which needs none of these
    from legato.model.execution import Execution, LogRecord, TaskRun
    from legato.model.flow import Flow
    from legato.runners.select import RunnerSettings
    from legato.storage import Storage
    from legato.store.ports import AssetEvent, ExecutionFilter, FlowRecord, LogFilter
    from legato.store.ports.governance import AuditFilter, AuditRecord


class TaskFailed(Exception):
    """The task failed for a reason its user can act on; `state` may be WARNING for a soft failure. `outputs`
    are kept on the failed run, as Kestra keeps those of a RunnableTaskException."""

    def __init__(self, message: str, state: State = State.FAILED, outputs: dict[str, Any] | None = None,
                 log_message: str | None = None):
        super().__init__(message)
        self.state = state
        self.outputs = dict(outputs or {})
        # What the worker writes to the logs, when the error repeats lines the task already logged (a script's
        # stderr tail): an error is logged once.
        self.log_message = log_message if log_message is not None else message


@dataclass
class Effects:
    """Changes to the execution that a task asks for; applied by the executor with the task's result."""

    labels: dict[str, str] | None = None
    set_variables: dict[str, Any] | None = None
    unset_variables: list[str] | None = None
    exit_state: State | None = None
    warning: bool = False  # end this task in WARNING though it returned normally
    extra: dict[str, Any] = field(default_factory=dict)


class TaskLogger(Protocol):
    def trace(self, message: str) -> None: ...
    def debug(self, message: str) -> None: ...
    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...


class KV(Protocol):
    """The namespace key-value store, as tasks see it (namespace defaults to the flow's)."""

    def get(self, key: str, namespace: str | None = None) -> tuple[str, Any] | None:
        """(type, value) or None when the key is absent or expired."""
        ...

    def set(self, key: str, value: Any, *, type: str, ttl_seconds: float | None, overwrite: bool = True, namespace: str | None = None) -> bool: ...

    def delete(self, key: str, namespace: str | None = None) -> bool: ...

    def keys(self, prefix: str | None = None, namespace: str | None = None) -> list[str]: ...

    def purge(self, *, expired_only: bool, keys: list[str] | None = None, namespace: str | None = None) -> int: ...


class Operations(Protocol):
    """Actions on other executions, triggers and flows (Resume, Toggle, the Git sync tasks)."""

    def resume_execution(self, execution_id: str, inputs: dict[str, Any]) -> None:
        """Resume a PAUSED execution; raises TaskFailed when it does not exist or is not paused."""
        ...

    def toggle_trigger(self, namespace: str, flow_id: str, trigger_id: str, enabled: bool | None) -> bool:
        """Enable, disable (or flip when None) a trigger; returns the new enabled value."""
        ...

    def find_execution(self, execution_id: str) -> Execution | None:
        """An execution by id (log Fetch checks which flow it belongs to)."""
        ...

    def execution_task_runs(self, execution_id: str) -> list[TaskRun]:
        """The task runs of an execution, in the order they were created (notifications name the failed one)."""
        ...

    def execution_logs(self, execution_id: str, *, min_level: str | None, after: int, limit: int) -> list[tuple[int, LogRecord]]:
        """Up to `limit` log lines of an execution at `min_level` or above, written after the line `after`
        (0: from the first), each with its position, in the order they were written."""
        ...

    def logs_after(self, filters: LogFilter, *, after: int, limit: int) -> list[tuple[int, LogRecord]]:
        """Up to `limit` log lines of the tenant's executions matching `filters` (the caller checked its
        namespace), written after the line `after`, each with its position, in the order they were written."""
        ...

    def audit_after(self, filters: AuditFilter, *, limit: int) -> list[AuditRecord]:
        """Up to `limit` audit entries of the tenant matching `filters` (`after_id`: past the last one read),
        oldest first."""
        ...

    def asset_events_after(self, after: int, limit: int, *, since: datetime | None,
                           namespace: str | None) -> list[AssetEvent]:
        """Up to `limit` uses of the tenant's assets recorded after position `after` (and at or after `since`),
        by flows of `namespace` and below (the caller checked it; None: every namespace), in the order recorded."""
        ...

    def search_executions(self, filters: ExecutionFilter, *, limit: int, offset: int = 0) -> tuple[list[Execution], int]:
        """A page of the executions matching `filters`, oldest first, and how many match (Purge, Count)."""
        ...

    def count_executions(self, filters: ExecutionFilter) -> dict[tuple[str, str], int]:
        """How many executions match `filters`, by (namespace, flow id); flows without any are left out."""
        ...

    def delete_execution(self, execution_id: str) -> bool:
        """Delete an execution with its task runs and logs (not its files); False when absent."""
        ...

    def delete_logs(self, filters: LogFilter) -> int:
        """Delete the matching log lines; how many."""
        ...

    def delete_execution_files(self, execution: Execution) -> int:
        """Delete an execution's files in internal storage; how many (the caller checked it may)."""
        ...

    def flows_in(self, namespace: str, *, children: bool) -> list[FlowRecord]:
        """The deployed flows of `namespace` (and of the namespaces under it with `children`): the latest revision
        of each, deleted ones left out, sorted by namespace and id."""
        ...

    def flow_error(self, source: str) -> str | None:
        """Why `source` is not a valid flow with the installed plugins, or None when it is."""
        ...

    def replace_flows(self, sources: list[str], deletions: list[tuple[str, str]]) -> list[FlowRecord]:
        """Deploy every flow of `sources` and delete the flows `deletions` names (namespace, id), all or nothing;
        the deployed records, in the order of `sources` (an unchanged source keeps its revision)."""
        ...

    def find_flow(self, namespace: str, flow_id: str, revision: int | None = None) -> Flow | None:
        """The deployed flow (its latest revision unless `revision`), or None when there is none."""
        ...

    def start_execution(self, namespace: str, flow_id: str, inputs: dict[str, Any], *, labels: dict[str, str],
                        revision: int | None = None, scheduled_at: datetime | None = None) -> Execution:
        """Queue a new execution of a deployed flow (the AI agent's KestraFlow tool); raises TaskFailed when the flow
        does not exist or the inputs are invalid."""
        ...


class RunContext(Protocol):
    storage: Storage  # internal storage (kestra:/// URIs) of the files tasks read and write
    working_dir: Path | None  # inside a WorkingDirectory: the directory its tasks share (scripts run there)
    runner_settings: RunnerSettings  # how script tasks isolate their processes
    execution: Execution
    task_run: TaskRun
    attempt: int
    flow_namespace: str
    flow_id: str
    effects: Effects

    # Read-only: each worker provides its own implementations of these.
    @property
    def logger(self) -> TaskLogger: ...

    @property
    def kv(self) -> KV: ...

    @property
    def operations(self) -> Operations: ...

    def now(self) -> datetime: ...

    def render(self, value: Any) -> Any:
        """Render every string in `value` (str, list, dict, nested) through the expression engine;
        a string that is one whole `{{ expr }}` keeps the expression's type."""
        ...

    def render_with(self, value: Any, extra: Mapping[str, Any]) -> Any:
        """`render` with `extra` variables over the task's own (each item of a file, for instance)."""
        ...

    def render_string(self, value: Any) -> str:
        """Render to text, as Kestra does for string properties."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep, returning early (with TaskFailed KILLED) when the task is killed."""
        ...
