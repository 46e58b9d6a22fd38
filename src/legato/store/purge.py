"""Deleting history: an execution with everything that hangs off it, or some of its log lines."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, delete, select

from legato.store.schema import events, execution_ends, executions, jobs, logs, loop_items, task_runs, timers

_ID: BindParameter[str] = bindparam("execution_id")


class PurgeQueries:
    """Named deletions across the tables of an execution."""

    def __init__(self) -> None:
        runs = select(task_runs.c.id).where(task_runs.c.execution_id == _ID)
        # children before parents, the execution row last
        self._execution: list[Any] = [
            delete(loop_items).where(loop_items.c.task_run_id.in_(runs)),
            delete(task_runs).where(task_runs.c.execution_id == _ID),
            delete(jobs).where(jobs.c.execution_id == _ID),
            delete(events).where(events.c.execution_id == _ID),
            delete(timers).where(timers.c.execution_id == _ID),
            delete(logs).where(logs.c.execution_id == _ID),
            # its queued ends: the Flow triggers would find no execution to read anyway
            delete(execution_ends).where(execution_ends.c.execution_id == _ID),
        ]
        self._row = delete(executions).where(executions.c.id == _ID)

    def execution(self, conn: Connection, execution_id: str) -> bool:
        """Delete the execution and its task runs, loop items, jobs, events, timers, logs and queued ends; True when it
        existed."""
        params = {"execution_id": execution_id}
        for statement in self._execution:
            conn.execute(statement, params)
        return conn.execute(self._row, params).rowcount == 1

    def logs(self, conn: Connection, ids: Any) -> int:
        """Delete the log lines whose ids `ids` (a select) yields; how many."""
        return int(conn.execute(delete(logs).where(logs.c.id.in_(ids))).rowcount)
