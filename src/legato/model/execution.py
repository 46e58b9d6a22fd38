"""Executions and task runs: the records the executor writes and everyone else reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from legato.model.fixtures import ExecutionFixtures
from legato.model.state import State, check_transition


class Record(BaseModel):
    """Base of runtime records: immutable values, changed by copy."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class StateEntry(Record):
    state: State
    date: datetime


class Label(Record):
    key: str
    value: str


class Attempt(Record):
    """One try of a runnable task on a worker (a retry or a re-dispatch after a lost worker adds one)."""

    state: State
    started: datetime | None = None
    ended: datetime | None = None
    worker_id: str | None = None
    runner: str | None = None  # the runner of a script task's command (process, sandbox, docker, ...)


class Execution(Record):
    id: str
    namespace: str
    flow_id: str
    flow_revision: int
    state: State = State.CREATED
    histories: tuple[StateEntry, ...] = ()
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] | None = None
    variables: dict[str, Any] = Field(default_factory=dict)  # set by SetVariables at run time
    labels: tuple[Label, ...] = ()
    trigger: dict[str, Any] | None = None
    parent_id: str | None = None  # the execution whose Subflow task created this one
    parent_task_run_id: str | None = None
    origin_id: str | None = None  # the execution this one replays or re-creates (flow retry)
    scheduled_at: datetime | None = None
    created: datetime
    ended: datetime | None = None
    restarts: int = 0  # how many times an operator restarted it
    error: str | None = None  # why it failed, when the failure is the execution's own (inputs, subflow, exit)
    scratch: dict[str, Any] = Field(default_factory=dict)  # engine bookkeeping; small and bounded
    fixtures: ExecutionFixtures | None = None  # a flow unit test's mocked tasks and files (legato test)
    tenant: str = "main"  # the tenant whose flow it runs: its subflows, KV, secrets and files are that tenant's

    def with_state(self, state: State, now: datetime) -> Execution:
        """A copy in `state` with the change time-stamped (no-op when already there); a change the transition
        table forbids raises IllegalTransition."""
        if state == self.state:
            return self
        check_transition(f"execution {self.id}", self.state, state)
        return self.model_copy(
            update={"state": state, "histories": (*self.histories, StateEntry(state=state, date=now))}
        )


class TaskRun(Record):
    id: str
    execution_id: str
    task_id: str
    parent_id: str | None = None  # the flowable task run this one runs under
    branch: str = "tasks"  # which child list of the parent (tasks, then, else, errors, finally, cases.<k>, ...)
    iteration: int | None = None  # index in the parent's loop (ForEach, Loop, LoopUntil)
    value: str | None = None  # the loop item, as Kestra shows it (JSON text for non-strings)
    state: State = State.CREATED
    histories: tuple[StateEntry, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    outputs: dict[str, Any] = Field(default_factory=dict)
    metrics: list[dict[str, Any]] = Field(default_factory=list)  # counters and timers reported by the task
    error: str | None = None
    scratch: dict[str, Any] = Field(default_factory=dict)  # engine bookkeeping (loop counters); small and bounded

    def with_state(self, state: State, now: datetime) -> TaskRun:
        """A copy in `state` with the change time-stamped (no-op when already there); a change the transition
        table forbids raises IllegalTransition."""
        if state == self.state:
            return self
        check_transition(f"task run {self.id} ({self.task_id})", self.state, state)
        return self.model_copy(
            update={"state": state, "histories": (*self.histories, StateEntry(state=state, date=now))}
        )


class LogRecord(Record):
    execution_id: str
    task_run_id: str | None = None
    task_id: str | None = None
    attempt: int | None = None
    level: str
    message: str
    timestamp: datetime
