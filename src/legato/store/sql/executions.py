"""The execution aggregate over SQL: executions, the events the executor applies in a Tx, and timers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from legato.engine.events import Event
from legato.model.execution import Execution, TaskRun
from legato.model.state import State
from legato.store.database import Database
from legato.store.pending import PendingWrites
from legato.store.ports import (
    CountKey,
    ExecutionCount,
    ExecutionFilter,
    ExecutionSort,
    StoredEvent,
    Tx,
)
from legato.store.ports.tenants import MAIN
from legato.store.queries import Queries
from legato.store.readview import ReadView
from legato.store.tx import SqlTx


class SqlExecutions:
    """ports.ExecutionStore over SQL. `clock` stamps the events it queues."""

    def __init__(self, db: Database, q: Queries, clock: Callable[[], datetime]):
        self._db = db
        self._q = q
        self._clock = clock

    @property
    def concurrent_writers(self) -> bool:
        return self._db.dialect.concurrent_writers

    def create_execution(self, execution: Execution, event: Event) -> None:
        """Insert the execution and its first event together (nothing, if the id already exists)."""
        with self._db.write() as tx:
            if self._q.executions.insert_new_with_event(tx.conn, execution, event, self._clock()):
                tx.touch("events")

    def get_execution(self, execution_id: str, *, tenant: str | None = None) -> Execution | None:
        with self._db.read() as conn:
            found = self._q.executions.get(conn, execution_id)
        return found if found is None or tenant is None or found.tenant == tenant else None

    def task_runs(self, execution_id: str) -> list[TaskRun]:
        with self._db.read() as conn:
            return self._q.task_runs.of_execution(conn, execution_id)

    def read_view(self, execution_id: str, execution: Execution | None = None) -> ReadView | None:
        """A read-only view of an execution outside any transaction (workers render with it)."""
        execution = execution or self.get_execution(execution_id)
        return ReadView(self._db, self._q.task_runs, execution) if execution is not None else None

    def list_executions(
        self, *, namespace: str | None = None, flow_id: str | None = None,
        states: Iterable[State] | None = None, limit: int = 100, offset: int = 0, tenant: str = MAIN,
    ) -> list[Execution]:
        with self._db.read() as conn:
            return self._q.executions.find(
                conn, namespace=namespace, flow_id=flow_id, states=states, limit=limit, offset=offset, tenant=tenant
            )

    def search_executions(
        self, filters: ExecutionFilter, *, sort: ExecutionSort = "created", descending: bool = True,
        limit: int = 100, offset: int = 0,
    ) -> tuple[list[Execution], int]:
        with self._db.read() as conn:
            return self._q.search.executions(conn, filters, sort, descending, limit, offset)

    def count_executions(self, filters: ExecutionFilter, by: Sequence[CountKey]) -> list[ExecutionCount]:
        with self._db.read() as conn:
            return self._q.search.counts(conn, filters, by)

    def delete_execution(self, execution_id: str) -> bool:
        with self._db.write() as tx:
            # Wait for an executor handling one of its events, so nothing is written back after the delete.
            if self._q.executions.lock(tx.conn, execution_id) is None:
                return False
            return self._q.purge.execution(tx.conn, execution_id)

    def send_event(self, execution_id: str, event: Event) -> None:
        """Queue an event for an execution; KeyError when the execution does not exist."""
        with self._db.write() as tx:
            if not self._q.events.insert_if_execution(tx.conn, execution_id, event, self._clock()):
                raise KeyError(f"no execution {execution_id!r}")
            tx.touch("events")

    def process_next_event(self, handler: Callable[[Tx, StoredEvent], None]) -> bool:
        # A single-writer database would be locked for everyone just to find the queue empty.
        if not self._db.dialect.concurrent_writers and not self.has_events():
            return False
        with self._db.write() as tx:
            picked = self._q.events.pick(tx.conn)
            if picked is None:
                return False
            stored, execution = picked
            sql_tx = SqlTx(tx, self._q, execution, self._clock)
            handler(sql_tx, stored)
            sql_tx.flush()
            self._q.events.delete(tx.conn, stored.id)
            return True

    def process_events(self, handler: Callable[[Tx, StoredEvent], None], limit: int) -> int:
        if not self._db.dialect.concurrent_writers and not self.has_events():
            return 0
        with self._db.write() as tx:
            locked = self._q.events.lock_executions(tx.conn, limit)
            # Every queued event of a locked execution is ours to apply; a few more than `limit` in all, so
            # that an execution with a backlog (a fan-in of results) drains in one transaction.
            queued = self._q.events.queued_for(tx.conn, list(locked), limit * 4)
            if not queued:
                return 0
            pending = PendingWrites(tx.conn, self._q)
            # The task runs the events are about and their parents, in one read rather than two per event.
            ahead = self._q.task_runs.get_many_with_parents(tx.conn, [r for e in queued if (r := _run_of(e.event)) is not None])
            bound: dict[str, SqlTx] = {}
            for stored in queued:
                sql_tx = bound.get(stored.execution_id)
                if sql_tx is None:
                    sql_tx = bound[stored.execution_id] = SqlTx(
                        tx, self._q, locked[stored.execution_id], self._clock, pending)
                    sql_tx.view().known(ahead)
                handler(sql_tx, stored)
            pending.flush()
            self._q.events.delete_many(tx.conn, [e.id for e in queued])
            return len(queued)

    def has_events(self) -> bool:
        """Whether any event waits (a cheap check before taking the write lock)."""
        with self._db.read() as conn:
            return self._q.events.any_queued(conn)

    def event_backlog(self) -> tuple[int, datetime | None]:
        with self._db.read() as conn:
            return self._q.events.backlog(conn)

    def fire_due_timers(self, now: datetime, limit: int = 100) -> int:
        with self._db.write() as tx:
            fired: list[tuple[str, Event]] = list(self._q.timers.fire(tx.conn, now, limit))
            self._q.events.insert_many(tx.conn, fired, self._clock())
            if fired:
                tx.touch("events")
            return len(fired)

    def next_timer_at(self) -> datetime | None:
        with self._db.read() as conn:
            return self._q.timers.next_at(conn)


def _run_of(event: Event) -> str | None:
    """The task run an event is about, if any."""
    run_id = getattr(event, "task_run_id", None)
    return run_id if isinstance(run_id, str) else None
