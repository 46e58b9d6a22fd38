"""The event queue: rows the executor consumes, each in the transaction that applies its effects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, exists, func, insert, literal, select

from legato.engine.events import Event
from legato.model.execution import Execution
from legato.store.dialect import Dialect
from legato.store.ports import StoredEvent
from legato.store.schema import events, executions

_e = events.c
_PICK_ATTEMPTS = 5


class EventQueries:
    """Named queries over the events table."""

    def __init__(self, dialect: Dialect):
        self._dialect = dialect
        self._insert = insert(events)
        target = bindparam("execution_id", type_=_e.execution_id.type)
        self._insert_if_execution = insert(events).from_select(
            ["execution_id", "payload", "created"],
            select(target, bindparam("payload", type_=_e.payload.type), bindparam("created", type_=_e.created.type))
            .where(exists().where(executions.c.id == target))
        )
        joined = (
            select(_e.id, _e.execution_id, _e.payload, _e.created, executions.c.data)
            .join_from(events, executions, executions.c.id == _e.execution_id)
            .order_by(_e.id)
            .limit(1)
        )
        # Oldest event of an execution no other transaction holds; locks the execution row.
        self._pick = dialect.skip_locked(joined, of=executions)
        # Re-read after the lock: the picked row may come from a snapshot taken before another
        # executor committed (and deleted that very event).
        self._oldest_of = joined.where(_e.execution_id == bindparam("execution_id"))
        # Batches: lock the executions of the oldest `limit` events (an execution appears once per event),
        # then read, after the locks, every event those executions have queued.
        self._pick_many = dialect.skip_locked(
            select(_e.execution_id, executions.c.data)
            .join_from(events, executions, executions.c.id == _e.execution_id)
            .order_by(_e.id)
            .limit(bindparam("limit")),
            of=executions,
        )
        self._of_executions = (
            select(_e.id, _e.execution_id, _e.payload, _e.created)
            .where(_e.execution_id.in_(bindparam("ids", expanding=True)))
            .order_by(_e.id)
            .limit(bindparam("limit"))
        )
        self._delete = delete(events).where(_e.id == bindparam("event_id"))
        self._delete_many = delete(events).where(_e.id.in_(bindparam("ids", expanding=True)))
        self._count = select(literal(1)).select_from(events).limit(1)

    def insert(self, conn: Connection, execution_id: str, event: Event, now: datetime) -> None:
        """Queue one event."""
        conn.execute(self._insert, {"execution_id": execution_id, "payload": event, "created": now})

    def insert_many(self, conn: Connection, rows: Sequence[tuple[str, Event]], now: datetime) -> None:
        """Queue several events, in order."""
        if rows:
            conn.execute(self._insert, [{"execution_id": x, "payload": e, "created": now} for x, e in rows])

    def insert_if_execution(self, conn: Connection, execution_id: str, event: Event, now: datetime) -> bool:
        """Queue an event for an existing execution; False when there is no such execution."""
        params = {"execution_id": execution_id, "payload": event, "created": now}
        return conn.execute(self._insert_if_execution, params).rowcount == 1

    def pick(self, conn: Connection) -> tuple[StoredEvent, Execution] | None:
        """Lock the execution of the oldest available event; that event and the execution, or None."""
        for _ in range(_PICK_ATTEMPTS):
            row = conn.execute(self._pick).first()
            if row is None:
                return None
            if self._dialect.concurrent_writers:
                row = conn.execute(self._oldest_of, {"execution_id": row.execution_id}).first()
                if row is None:
                    continue  # another executor consumed it between our snapshot and our lock
            return _stored(row), row.data
        return None

    def lock_executions(self, conn: Connection, limit: int) -> dict[str, Execution]:
        """Lock the executions of the oldest `limit` events no other transaction holds, by id."""
        locked: dict[str, Execution] = {}
        for row in conn.execute(self._pick_many, {"limit": limit}):
            # Locking returns each row as it is now (PostgreSQL re-reads a row changed since the snapshot).
            locked.setdefault(row.execution_id, row.data)
        return locked

    def queued_for(self, conn: Connection, execution_ids: Sequence[str], limit: int) -> list[StoredEvent]:
        """The oldest `limit` events of these executions (read after locking them), oldest first."""
        if not execution_ids:
            return []
        return [_stored(r) for r in conn.execute(self._of_executions, {"ids": list(execution_ids), "limit": limit})]

    def delete_many(self, conn: Connection, event_ids: Sequence[int]) -> None:
        """Consume several events."""
        if event_ids:
            conn.execute(self._delete_many, {"ids": list(event_ids)})

    def delete(self, conn: Connection, event_id: int) -> None:
        """Consume an event."""
        conn.execute(self._delete, {"event_id": event_id})

    def any_queued(self, conn: Connection) -> bool:
        """Whether any event waits."""
        return conn.execute(self._count).first() is not None

    def backlog(self, conn: Connection) -> tuple[int, datetime | None]:
        """How many events wait for the executor, and when the oldest was queued."""
        row = conn.execute(select(func.count(), func.min(_e.created))).one()
        return row[0], row[1]


def _stored(row: Row[Any, Any, Any, Any]) -> StoredEvent:
    return StoredEvent(id=row.id, execution_id=row.execution_id, event=row.payload, created=row.created)
