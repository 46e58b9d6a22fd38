"""What the engine wants done, as values. The executor carries each out in the event's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from legato.engine.events import TimerKind
from legato.model.execution import Execution, TaskRun


@dataclass(frozen=True)
class DispatchJob:
    """Put an attempt of a runnable task on the job queue."""

    task_run_id: str
    attempt: int
    worker_group: str | None = None
    any_of: tuple[str, ...] = ()  # workerSelector match ANY: a worker with any one of these tags
    fallback: str | None = None  # workerSelector: what to do when no live worker has the tags

    @property
    def key(self) -> str:
        return f"job:{self.task_run_id}:{self.attempt}"


@dataclass(frozen=True)
class CancelJob:
    """Ask the worker holding this task run's job to stop it (kill)."""

    task_run_id: str

    @property
    def key(self) -> str:
        return f"cancel:{self.task_run_id}"


@dataclass(frozen=True)
class ScheduleTimer:
    at: datetime
    timer: TimerKind
    task_run_id: str | None = None
    nonce: str = ""

    @property
    def key(self) -> str:
        return f"timer:{self.timer}:{self.task_run_id}:{self.nonce}"


@dataclass(frozen=True)
class CancelTimers:
    task_run_id: str

    @property
    def key(self) -> str:
        return f"cancel-timers:{self.task_run_id}"


@dataclass(frozen=True)
class CreateSubflow:
    task_run_id: str
    namespace: str
    flow_id: str
    revision: int | None
    inputs: dict[str, Any]
    labels: dict[str, str]
    scheduled_at: datetime | None = None
    batch: int | None = None  # ForEachItem: which batch (one task run starts many executions)
    attempt: int = 1  # a Subflow task retried starts one execution per attempt
    extract: dict[str, Any] | None = None  # the deprecated Subflow.outputs, rendered by the child when it ends

    @property
    def key(self) -> str:
        key = f"subflow:{self.task_run_id}" if self.batch is None else f"subflow:{self.task_run_id}:{self.batch}"
        return key if self.attempt == 1 else f"{key}:attempt-{self.attempt}"


@dataclass(frozen=True)
class KillChildren:
    """Cascade a kill to the executions created by this execution's Subflow tasks."""

    execution_id: str

    @property
    def key(self) -> str:
        return f"kill-children:{self.execution_id}"


@dataclass(frozen=True)
class NotifyParent:
    """The execution ended and a parent Subflow task waits for it."""

    parent_execution_id: str
    parent_task_run_id: str
    child_execution_id: str
    state: str
    outputs: dict[str, Any]
    outputs_error: str | None = None  # the parent's deprecated Subflow.outputs could not be rendered

    @property
    def key(self) -> str:
        return f"notify-parent:{self.child_execution_id}"


@dataclass(frozen=True)
class ExecutionEnded:
    """The execution reached a terminal state: free its flow-concurrency slot, fire flow triggers."""

    execution_id: str
    namespace: str
    flow_id: str
    state: str

    @property
    def key(self) -> str:
        return f"ended:{self.execution_id}"


@dataclass(frozen=True)
class CreateRetryExecution:
    """A retry with behavior CREATE_NEW_EXECUTION: a fresh execution of the same revision and inputs."""

    origin_execution_id: str
    attempt: int
    at: datetime  # when the new execution starts
    since: datetime  # when the first execution of the chain was created (maxDuration counts from it)

    @property
    def key(self) -> str:
        return f"flow-retry:{self.origin_execution_id}:{self.attempt}"


@dataclass(frozen=True)
class WriteFile:
    """Put `data` in internal storage at `uri` (a Loop iteration's outputs with fetchType STORE)."""

    uri: str
    data: bytes

    @property
    def key(self) -> str:
        return f"write:{self.uri}"


Command = (
    DispatchJob | CancelJob | ScheduleTimer | CancelTimers | CreateSubflow | KillChildren | NotifyParent
    | ExecutionEnded | CreateRetryExecution | WriteFile
)


@dataclass
class Decision:
    """Everything one event changes: rows to write and commands to carry out, all in one transaction."""

    execution: Execution | None = None  # the updated execution row, or None when unchanged
    task_runs: dict[str, TaskRun] = field(default_factory=dict)  # upserts by id
    items: dict[str, list[Any]] = field(default_factory=dict)  # loop items to store, by loop task-run id
    commands: list[Command] = field(default_factory=list)
    logs: list[tuple[str | None, str, str]] = field(default_factory=list)  # (task_run_id, level, message)
