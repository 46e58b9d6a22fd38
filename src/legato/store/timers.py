"""Timers: retries, pauses and loop waits the engine scheduled, fired once when due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select

from legato.engine.events import TimerFired
from legato.store.dialect import Dialect
from legato.store.schema import timers

_t = timers.c


class TimerQueries:
    """Named queries over the timers table."""

    def __init__(self, dialect: Dialect):
        self._insert = dialect.insert_ignore(timers, ["key"])
        self._delete_of_run = delete(timers).where(_t.task_run_id == bindparam("b_run"))
        due = select(_t.id).where(_t.at <= bindparam("now")).order_by(_t.at, _t.id).limit(bindparam("limit"))
        self._fire = (
            delete(timers)
            .where(_t.id.in_(dialect.skip_locked(due).scalar_subquery()))
            .returning(_t.id, _t.execution_id, _t.task_run_id, _t.timer, _t.key, _t.at)
        )
        self._next_at = select(func.min(_t.at))

    def insert(self, conn: Connection, execution_id: str, at: datetime, timer: str, task_run_id: str | None, key: str) -> bool:
        """Schedule a timer unless one with `key` exists; True when scheduled."""
        params = {"execution_id": execution_id, "at": at, "timer": timer, "task_run_id": task_run_id, "key": key}
        return conn.execute(self._insert, params).rowcount == 1

    def delete_of_run(self, conn: Connection, task_run_id: str) -> None:
        """Cancel every timer of a task run."""
        conn.execute(self._delete_of_run, {"b_run": task_run_id})

    def fire(self, conn: Connection, now: datetime, limit: int) -> list[tuple[str, TimerFired]]:
        """Delete up to `limit` due timers, earliest first; their executions and TimerFired events."""
        rows = sorted(conn.execute(self._fire, {"now": now, "limit": limit}).all(), key=lambda r: (r.at, r.id))
        return [
            (r.execution_id, TimerFired(task_run_id=r.task_run_id, timer=r.timer, key=r.key)) for r in rows
        ]

    def next_at(self, conn: Connection) -> datetime | None:
        """When the earliest timer is due."""
        return conn.execute(self._next_at).scalar()
