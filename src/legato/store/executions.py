"""Execution rows: the whole record as JSON plus the columns that lists and concurrency checks filter on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, func, insert, select

from legato.engine.events import Event
from legato.model import state as states
from legato.model.execution import Execution, TaskRun
from legato.model.state import State
from legato.store.dialect import Dialect
from legato.store.ports.tenants import MAIN
from legato.store.schema import events, executions, task_runs

# Executions holding one of a flow's concurrency slots.
SLOT_HOLDING = (State.CREATED, State.RUNNING, State.PAUSED, State.KILLING)
_COLUMNS = ("namespace", "flow_id", "flow_revision", "state", "parent_id", "created", "ended", "data", "transient")
_TERMINAL = sorted(s.value for s in states.TERMINAL)
_x = executions.c


def row_of(execution: Execution) -> dict[str, Any]:
    """The executions row of an Execution record."""
    return {
        "id": execution.id, "namespace": execution.namespace, "flow_id": execution.flow_id,
        "flow_revision": execution.flow_revision, "state": execution.state.value,
        "parent_id": execution.parent_id, "created": execution.created, "ended": execution.ended,
        "data": execution, "transient": execution.fixtures is not None, "tenant": execution.tenant,
    }


def _new_with_event(dialect: Dialect) -> Insert:
    """WITH new AS (INSERT INTO executions ... ON CONFLICT DO NOTHING RETURNING id) INSERT INTO events ...
    SELECT FROM new: the event row only when the execution row was inserted, in one round trip."""
    values = {c.name: bindparam(f"x_{c.name}", type_=c.type) for c in executions.columns}
    new = dialect.insert_ignore(executions, ["id"]).values(values).returning(_x.id).cte("new_execution")
    first = select(new.c.id, bindparam("payload", type_=events.c.payload.type),
                   bindparam("created", type_=events.c.created.type))
    return insert(events).from_select(["execution_id", "payload", "created"], first)


class ExecutionQueries:
    """Named queries over the executions table."""

    def __init__(self, dialect: Dialect):
        self._upsert = dialect.upsert(executions, ["id"], _COLUMNS)
        self._insert_new = dialect.insert_ignore(executions, ["id"])
        self._first_event = insert(events)
        self._insert_new_with_event = _new_with_event(dialect) if dialect.dml_in_cte else None
        self._get = select(_x.data).where(_x.id == bindparam("id"))
        # Waits for an executor holding the row (PostgreSQL); SQLite's single writer already excludes them.
        self._lock = self._get.with_for_update()
        run = select(task_runs.c.data).where(task_runs.c.id == bindparam("run_id")).scalar_subquery()
        parent_run = task_runs.alias("parent_run")
        parent_id = select(task_runs.c.parent_id).where(task_runs.c.id == bindparam("run_id")).scalar_subquery()
        parent = select(parent_run.c.data).where(parent_run.c.id == parent_id).scalar_subquery()
        self._lock_with_run = select(_x.data, run, parent).where(_x.id == bindparam("id")).with_for_update(of=executions)
        flow = (_x.tenant == bindparam("tenant")) & (_x.namespace == bindparam("ns")) & (_x.flow_id == bindparam("flow_id"))
        self._running_count = select(func.count()).where(
            flow, _x.state.in_([s.value for s in SLOT_HOLDING]), _x.id != bindparam("exclude")
        )
        self._oldest_queued = (
            select(_x.id).where(flow, _x.state == State.QUEUED.value).order_by(_x.created, _x.id).limit(1)
        )
        self._active_children = (
            select(_x.id).where(_x.parent_id == bindparam("id"), _x.state.not_in(_TERMINAL)).order_by(_x.created)
        )

    def upsert(self, conn: Connection, execution: Execution) -> None:
        """Insert or replace the execution row."""
        conn.execute(self._upsert, row_of(execution))

    def upsert_many(self, conn: Connection, records: list[Execution]) -> None:
        """Insert or replace several execution rows in one statement."""
        if records:
            conn.execute(self._upsert, [row_of(e) for e in records])

    def insert_new(self, conn: Connection, execution: Execution) -> bool:
        """Insert the execution unless its id exists; True when inserted."""
        return conn.execute(self._insert_new, row_of(execution)).rowcount == 1

    def insert_new_with_event(self, conn: Connection, execution: Execution, event: Event, now: datetime) -> bool:
        """Insert the execution unless its id exists, and if inserted its first event; True when inserted."""
        if self._insert_new_with_event is None:
            if not self.insert_new(conn, execution):
                return False
            conn.execute(self._first_event, {"execution_id": execution.id, "payload": event, "created": now})
            return True
        params = {f"x_{k}": v for k, v in row_of(execution).items()}
        return conn.execute(self._insert_new_with_event, {**params, "payload": event, "created": now}).rowcount == 1

    def get(self, conn: Connection, execution_id: str) -> Execution | None:
        """The execution record, or None."""
        execution: Execution | None = conn.execute(self._get, {"id": execution_id}).scalar()
        return execution

    def lock(self, conn: Connection, execution_id: str) -> Execution | None:
        """The execution record, its row locked for the rest of the transaction, or None."""
        execution: Execution | None = conn.execute(self._lock, {"id": execution_id}).scalar()
        return execution

    def lock_with_run(self, conn: Connection, execution_id: str, task_run_id: str) -> tuple[Execution, list[TaskRun]] | None:
        """Like `lock`, and one of its task runs with its parent run read in the same round trip (those found:
        the engine reads both when a task ends). Only where the transaction holds the single writer's lock before
        its first statement (SQLite): on PostgreSQL a statement that waited for the row lock would read the runs
        as they were when it started, before the transaction it waited for committed."""
        row = conn.execute(self._lock_with_run, {"id": execution_id, "run_id": task_run_id}).first()
        return (row[0], [r for r in row[1:] if r is not None]) if row is not None else None

    def find(
        self, conn: Connection, *, namespace: str | None, flow_id: str | None,
        states: Iterable[State] | None, limit: int, offset: int, tenant: str = MAIN,
    ) -> list[Execution]:
        """A tenant's executions matching the filters, newest first."""
        query = select(_x.data).where(_x.tenant == tenant)
        if namespace is not None:
            query = query.where(_x.namespace == namespace)
        if flow_id is not None:
            query = query.where(_x.flow_id == flow_id)
        if states is not None:
            query = query.where(_x.state.in_(sorted(State(s).value for s in states)))
        query = query.order_by(_x.created.desc(), _x.id.desc()).limit(limit).offset(offset)
        return list(conn.execute(query).scalars())

    def running_count(self, conn: Connection, namespace: str, flow_id: str, exclude: str, tenant: str = MAIN) -> int:
        """How many executions of the flow hold a concurrency slot, `exclude` aside."""
        params = {"tenant": tenant, "ns": namespace, "flow_id": flow_id, "exclude": exclude}
        return int(conn.execute(self._running_count, params).scalar_one())

    def oldest_queued(self, conn: Connection, namespace: str, flow_id: str, tenant: str = MAIN) -> str | None:
        """The id of the flow's QUEUED execution created first."""
        return conn.execute(self._oldest_queued, {"tenant": tenant, "ns": namespace, "flow_id": flow_id}).scalar()

    def active_children(self, conn: Connection, execution_id: str) -> list[str]:
        """Ids of non-terminal executions created by `execution_id`'s subflow tasks."""
        return list(conn.execute(self._active_children, {"id": execution_id}).scalars())
