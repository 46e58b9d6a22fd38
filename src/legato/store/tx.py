"""ports.Tx: the executor's writes and reads inside the transaction that consumes one event."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from legato.engine.events import Event, ExecutionCreated, TimerFired
from legato.model import state as states
from legato.model.execution import Execution, LogRecord, TaskRun
from legato.store import flow_ends
from legato.store.database import WriteTx
from legato.store.pending import PendingWrites
from legato.store.ports import FlowRecord, Job
from legato.store.ports.tenants import MAIN
from legato.store.queries import Queries
from legato.store.view import SqlView


class SqlTx:
    """Bound to one write transaction holding one execution's lock; see ports.Tx.

    Execution rows, task runs and unclaimed jobs go to `pending` (shared by the SqlTx of every execution the
    transaction holds) and reach the database before any statement that could read them: the store calls
    `flush()` before the commit."""

    def __init__(self, wtx: WriteTx, queries: Queries, execution: Execution, clock: Callable[[], datetime],
                 pending: PendingWrites | None = None):
        self._wtx = wtx
        self._conn = wtx.conn
        self._q = queries
        self._clock = clock
        self._pending = pending if pending is not None else PendingWrites(wtx.conn, queries)
        self._view = SqlView(wtx.conn, queries.task_runs, execution, self._pending.flush_runs)

    def flush(self) -> None:
        """Send the held-back writes (before the commit)."""
        self._pending.flush()

    def view(self) -> SqlView:
        return self._view

    def write(self, execution: Execution | None, task_runs: Iterable[TaskRun], items: dict[str, list[Any]]) -> None:
        runs = list(task_runs)
        if execution is not None:
            self._pending.execution(execution)
            before = self._view.execution.state
            observed = execution.state in flow_ends.OBSERVED and execution.state != before
            if observed and before in states.TERMINAL and execution.state in states.TERMINAL:
                observed = False  # a late correction of an ended execution is not a new end
            # The Flow triggers' outbox, committed with the transition itself: never lost, never queued twice.
            if observed and self._q.ends.record(self._conn, execution, self._clock()):
                self._wtx.touch("ends")
        self._pending.task_runs(self._view.execution.id, runs)
        for loop_run_id, values in items.items():
            self._q.task_runs.replace_items(self._conn, loop_run_id, values)
        self._view.written(execution, runs, items)

    def insert_job(self, execution_id: str, task_run_id: str, attempt: int, worker_group: str | None) -> None:
        self._pending.job((execution_id, task_run_id, attempt, worker_group, self._clock()))
        self._wtx.touch("jobs")  # a wake-up too many (the attempt was already queued) is harmless

    def insert_claimed_jobs(self, execution_id: str, attempts: Sequence[tuple[str, int, str | None]],
                            claim: tuple[str, datetime]) -> list[Job]:
        return self._flushed().jobs.insert_claimed(self._conn, execution_id, attempts, claim[0], claim[1],
                                                   self._clock())

    def request_cancel(self, task_run_id: str) -> bool:
        return self._flushed().jobs.request_cancel(self._conn, task_run_id)

    def insert_timer(self, execution_id: str, at: datetime, timer: str, task_run_id: str | None, key: str) -> None:
        # Fail here, in the decision that asked for it, rather than when the timer fires.
        TimerFired.model_validate({"task_run_id": task_run_id, "timer": timer, "key": key})
        if self._q.timers.insert(self._conn, execution_id, at, timer, task_run_id, key):
            self._wtx.touch("timers")

    def delete_timers(self, task_run_id: str) -> None:
        self._q.timers.delete_of_run(self._conn, task_run_id)

    def insert_event(self, execution_id: str, event: Event) -> None:
        self._q.events.insert(self._conn, execution_id, event, self._clock())
        self._wtx.touch("events")

    def append_logs(self, records: Sequence[LogRecord]) -> None:
        self._q.logs.append(self._conn, records)

    def create_execution(self, execution: Execution) -> None:
        if self._flushed().executions.insert_new_with_event(self._conn, execution, ExecutionCreated(), self._clock()):
            self._wtx.touch("events")

    def get_flow(self, namespace: str, flow_id: str, revision: int | None = None, *,
                 tenant: str = MAIN) -> FlowRecord | None:
        return self._q.flows.get(self._conn, namespace, flow_id, revision, tenant)

    def running_count(self, namespace: str, flow_id: str, exclude: str, *, tenant: str = MAIN) -> int:
        return self._flushed().executions.running_count(self._conn, namespace, flow_id, exclude, tenant)

    def oldest_queued(self, namespace: str, flow_id: str, *, tenant: str = MAIN) -> str | None:
        return self._flushed().executions.oldest_queued(self._conn, namespace, flow_id, tenant)

    def active_children(self, execution_id: str) -> list[str]:
        return self._flushed().executions.active_children(self._conn, execution_id)

    def _flushed(self) -> Queries:
        """The queries, once every held-back write is in the database (for statements that may read them)."""
        self._pending.flush()
        return self._q
