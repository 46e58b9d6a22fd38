"""What the executor reacts to. Each event is stored as a row, consumed once, in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from legato.model.execution import TaskRun
from legato.model.state import State


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExecutionCreated(Event):
    kind: Literal["execution_created"] = "execution_created"
    running_of_flow: int = 0  # executions of the same flow already running (for flow concurrency limits)


class ExecutionDequeued(Event):
    """A QUEUED execution got a concurrency slot."""

    kind: Literal["execution_dequeued"] = "execution_dequeued"


class Effects(BaseModel):
    """Changes a runnable task asks of its execution (Labels, SetVariables, Exit)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    labels: dict[str, str] | None = None
    set_variables: dict[str, Any] | None = None
    unset_variables: list[str] | None = None
    exit_state: State | None = None


class TaskResult(Event):
    """A worker finished an attempt. Only results of the job's current attempt are ever stored (fencing)."""

    kind: Literal["task_result"] = "task_result"
    task_run_id: str
    attempt: int
    state: State  # SUCCESS, WARNING, FAILED or KILLED
    outputs: dict[str, Any] = Field(default_factory=dict)
    metrics: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None
    effects: Effects | None = None
    worker_id: str | None = None
    started: datetime | None = None
    ended: datetime | None = None
    runner: str | None = None  # what ran a script's command (process, sandbox, python-warm, docker, kubernetes)


class TaskStarted(Event):
    """A worker picked up an attempt (moves the task run from CREATED/RESUBMITTED to RUNNING in the UI)."""

    kind: Literal["task_started"] = "task_started"
    task_run_id: str
    attempt: int
    worker_id: str


class JobCancelled(Event):
    """A kill reached a job no worker had claimed: the attempt never ran."""

    kind: Literal["job_cancelled"] = "job_cancelled"
    task_run_id: str


class JobLost(Event):
    """The lease of a job expired: its worker is presumed dead."""

    kind: Literal["job_lost"] = "job_lost"
    task_run_id: str
    attempt: int


# What a timer wakes the engine for: a task run's next retry, a Pause's delay or timeout, a LoopUntil's next
# check, a scheduled start, the end of a kill's grace period, an SLA deadline.
TimerKind = Literal["retry", "pause", "loop", "start", "kill", "sla"]


class TimerFired(Event):
    kind: Literal["timer_fired"] = "timer_fired"
    task_run_id: str | None = None  # None for execution-level timers
    timer: TimerKind
    key: str  # idempotency key of the ScheduleTimer command that set it


class KillRequested(Event):
    kind: Literal["kill_requested"] = "kill_requested"


class PauseRequested(Event):
    """An operator pauses a RUNNING execution: what runs ends, nothing new starts until it is resumed."""

    kind: Literal["pause_requested"] = "pause_requested"


class ResumeRequested(Event):
    kind: Literal["resume_requested"] = "resume_requested"
    task_run_id: str | None = None  # None: every paused task run
    inputs: dict[str, Any] = Field(default_factory=dict)  # onResume values, already validated


class RestartRequested(Event):
    kind: Literal["restart_requested"] = "restart_requested"


class ReplayRequested(Event):
    """First event of an execution that replays another from one task run: the earlier runs are copied
    in (their outputs reused) and the execution carries on from `from_task_run_id`."""

    kind: Literal["replay_requested"] = "replay_requested"
    task_runs: list[TaskRun]
    from_task_run_id: str


class TaskRunStateChanged(Event):
    """An operator forces a task run's state (e.g. mark a FAILED task SUCCESS) and the flow carries on."""

    kind: Literal["task_run_state_changed"] = "task_run_state_changed"
    task_run_id: str
    state: State


class LabelsSet(Event):
    """An operator adds labels to an execution or changes their values (other labels are kept)."""

    kind: Literal["labels_set"] = "labels_set"
    labels: dict[str, str]


class SubflowCreated(Event):
    kind: Literal["subflow_created"] = "subflow_created"
    task_run_id: str
    child_execution_id: str | None = None
    error: str | None = None  # the child could not be created (unknown flow, invalid inputs)


class WorkChildStarted(Event):
    """A worker running a WorkingDirectory (job of `task_run_id`, `attempt`) starts its child `task_id`."""

    kind: Literal["work_child_started"] = "work_child_started"
    task_run_id: str
    attempt: int
    task_id: str
    worker_id: str | None = None
    started: datetime | None = None


class WorkChildEnded(Event):
    """A child of a WorkingDirectory ended on its worker (SKIPPED when its run condition was false)."""

    kind: Literal["work_child_ended"] = "work_child_ended"
    task_run_id: str
    attempt: int
    task_id: str
    state: State
    outputs: dict[str, Any] = Field(default_factory=dict)
    metrics: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None
    effects: Effects | None = None
    worker_id: str | None = None
    started: datetime | None = None
    ended: datetime | None = None
    runner: str | None = None  # as TaskResult.runner


class ChildExecutionEnded(Event):
    kind: Literal["child_execution_ended"] = "child_execution_ended"
    task_run_id: str
    child_execution_id: str
    state: State
    outputs: dict[str, Any] = Field(default_factory=dict)
    outputs_error: str | None = None  # the deprecated Subflow.outputs could not be rendered: the task fails


# Every event the engine handles: `decide` matches over this union exhaustively.
EngineEvent = (
    ExecutionCreated | ExecutionDequeued | TaskResult | TaskStarted | JobLost | JobCancelled | TimerFired | KillRequested
    | PauseRequested | ResumeRequested | RestartRequested | ReplayRequested | TaskRunStateChanged | LabelsSet | SubflowCreated
    | ChildExecutionEnded | WorkChildStarted | WorkChildEnded
)
AnyEvent = Annotated[EngineEvent, Field(discriminator="kind")]
EVENT_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


def dump_event(event: Event) -> dict[str, Any]:
    """The JSON form stored in the events table."""
    return event.model_dump(mode="json")


def load_event(data: dict[str, Any]) -> AnyEvent:
    return EVENT_ADAPTER.validate_python(data)
