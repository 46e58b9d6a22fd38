"""The execution aggregate: executions with their task runs, the events that drive them, the executor's
transaction around one event (Tx) and the timers that turn into events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from legato.engine.events import AnyEvent, Event
from legato.engine.view import ExecutionView
from legato.model.execution import Execution, LogRecord, TaskRun
from legato.model.state import State
from legato.store.ports.flows import FlowRecord
from legato.store.ports.jobs import Job
from legato.store.ports.tenants import MAIN


@dataclass(frozen=True)
class StoredEvent:
    id: int
    execution_id: str
    event: AnyEvent
    created: datetime


ExecutionSort = Literal["created", "ended", "state", "namespace", "flow_id", "id"]
CountKey = Literal["state", "quarter_hour", "namespace", "flow_id"]


@dataclass(frozen=True)
class ExecutionFilter:
    """Which executions a search or a count takes; every field set must match."""

    namespace: str | None = None  # this namespace and its children (a.b matches a.b and a.b.c, not a.bc)
    flow_id: str | None = None
    states: frozenset[State] | None = None
    labels: tuple[tuple[str, str], ...] = ()  # every (key, value) must be a label of the execution
    created_from: datetime | None = None  # created at or after
    created_to: datetime | None = None  # created at or before
    transient: bool = False  # also the executions flow unit tests created (hidden by default, as in Kestra)
    within: tuple[str, ...] | None = None  # only these namespaces and their children (a searcher's bindings)
    tenant: str = MAIN  # searches and counts never leave one tenant


@dataclass(frozen=True)
class ExecutionCount:
    """Executions of one group (`key`, in the order of the `by` asked for) and how long the ended ones took."""

    key: tuple[str, ...]
    count: int
    ended: int  # how many of them have ended (the durations below are over these)
    seconds_sum: float
    seconds_min: float | None
    seconds_max: float | None


class Tx(Protocol):
    """The executor's transaction around one event: reads are locked, writes commit with the event's deletion."""

    def view(self) -> ExecutionView:
        """The locked execution the event belongs to."""
        ...

    def write(self, execution: Execution | None, task_runs: Iterable[TaskRun], items: dict[str, list[Any]]) -> None:
        """Upsert the execution row, task-run rows and loop items of one decision."""
        ...

    def insert_job(self, execution_id: str, task_run_id: str, attempt: int, worker_group: str | None) -> None:
        """Queue an attempt (idempotent)."""
        ...

    def insert_claimed_jobs(self, execution_id: str, attempts: Sequence[tuple[str, int, str | None]],
                            claim: tuple[str, datetime]) -> list[Job]:
        """Queue attempts (task run id, attempt, worker group) leased at once to `claim` = (worker id, lease end),
        in one statement: the executor hands them to a worker of its own process, no claim needed. Returns the
        jobs in the order of `attempts`, leaving out those queued before (idempotent)."""
        ...

    def request_cancel(self, task_run_id: str) -> bool:
        """Flag the task run's job so its worker stops it (True); an unclaimed job is deleted instead,
        and then, as when there is no job at all, the answer is False (no worker will report back)."""
        ...

    def insert_timer(self, execution_id: str, at: datetime, timer: str, task_run_id: str | None, key: str) -> None:
        """Idempotent on `key`."""
        ...

    def delete_timers(self, task_run_id: str) -> None: ...

    def insert_event(self, execution_id: str, event: Event) -> None: ...

    def append_logs(self, records: Sequence[LogRecord]) -> None: ...

    def create_execution(self, execution: Execution) -> None:
        """Insert a new execution with its ExecutionCreated event (subflows, flow retries)."""
        ...

    def get_flow(self, namespace: str, flow_id: str, revision: int | None = None, *,
                 tenant: str = MAIN) -> FlowRecord | None: ...

    def running_count(self, namespace: str, flow_id: str, exclude: str, *, tenant: str = MAIN) -> int:
        """Executions of the flow (of `tenant`) in RUNNING/PAUSED/KILLING/CREATED other than `exclude`."""
        ...

    def oldest_queued(self, namespace: str, flow_id: str, *, tenant: str = MAIN) -> str | None: ...

    def active_children(self, execution_id: str) -> list[str]:
        """Ids of non-terminal executions whose parent is `execution_id`."""
        ...


class ExecutionReader(Protocol):
    """Reading executions and their task runs, outside the executor's transactions."""

    def get_execution(self, execution_id: str, *, tenant: str | None = None) -> Execution | None:
        """The execution; with `tenant`, None unless it belongs to that tenant (ids are unique across tenants,
        so the executor and workers read by id alone)."""
        ...

    def task_runs(self, execution_id: str) -> list[TaskRun]:
        """All task runs of an execution in creation order."""
        ...

    def read_view(self, execution_id: str, execution: Execution | None = None) -> ExecutionView | None:
        """A read-only view of an execution outside any transaction, each read its own short query
        (the worker renders task properties with it); None when there is no such execution."""
        ...

    def list_executions(
        self, *, namespace: str | None = None, flow_id: str | None = None,
        states: Iterable[State] | None = None, limit: int = 100, offset: int = 0, tenant: str = MAIN,
    ) -> list[Execution]: ...

    def search_executions(
        self, filters: ExecutionFilter, *, sort: ExecutionSort = "created", descending: bool = True,
        limit: int = 100, offset: int = 0,
    ) -> tuple[list[Execution], int]:
        """One page of the executions matching `filters` in `sort` order (ties by id), and how many match."""
        ...

    def count_executions(self, filters: ExecutionFilter, by: Sequence[CountKey]) -> list[ExecutionCount]:
        """Matching executions grouped by `by`, sorted by key. `quarter_hour` is the quarter hour they were created
        in (Unix seconds // 900, as text): fine enough to place counts on the days of any time zone."""
        ...


class Timers(Protocol):
    """Due timers turned into events (the executor's timer loop)."""

    def fire_due_timers(self, now: datetime, limit: int = 100) -> int:
        """Turn due timers into TimerFired events (timer rows deleted); return how many."""
        ...

    def next_timer_at(self) -> datetime | None: ...


class ExecutionStore(ExecutionReader, Timers, Protocol):
    """Executions, their events (the executor's input, applied in a Tx) and their timers."""

    @property
    def concurrent_writers(self) -> bool:
        """Whether several transactions can write at once (PostgreSQL), or one at a time (SQLite)."""
        ...

    def create_execution(self, execution: Execution, event: Event) -> None:
        """Insert the execution and its first event together."""
        ...

    def delete_execution(self, execution_id: str) -> bool:
        """Delete the execution with its task runs, loop items, logs, jobs, events and timers; False when absent."""
        ...

    def send_event(self, execution_id: str, event: Event) -> None: ...

    def event_backlog(self) -> tuple[int, datetime | None]:
        """Events waiting for the executor and when the oldest was queued, for metrics."""
        ...

    def process_next_event(self, handler: Callable[[Tx, StoredEvent], None]) -> bool:
        """Claim the oldest event of an execution no other executor holds, run `handler` in its
        transaction, delete the event and commit. False when there was no event."""
        ...

    def process_events(self, handler: Callable[[Tx, StoredEvent], None], limit: int) -> int:
        """process_next_event for several executions at once: lock the executions of up to `limit` of the
        oldest events no other executor holds, run `handler` on every event they have queued (in order,
        one Tx per execution, seeing the effects of that execution's earlier events), delete them and
        commit once. How many events were applied (0: none waited)."""
        ...
