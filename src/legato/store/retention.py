"""Retention: finished executions, their task runs, loop items and logs deleted in small batches.

Each batch is one short transaction over at most `limit` executions, picked oldest-ended first and
skipping rows another transaction holds, so a purge never waits on (or blocks for long) an executor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, delete, select

from legato.model import state as states
from legato.store.dialect import Dialect
from legato.store.ports import PurgeCount
from legato.store.schema import events, execution_ends, executions, jobs, logs, loop_items, task_runs, timers

_TERMINAL = sorted(s.value for s in states.TERMINAL)
_x = executions.c
_ids: BindParameter[Any] = bindparam("ids", expanding=True)


class RetentionQueries:
    """Named queries that delete old history."""

    def __init__(self, dialect: Dialect):
        finished = (_x.state.in_(_TERMINAL)) & (_x.ended < bindparam("before"))
        self._pick = dialect.skip_locked(
            select(_x.id).where(finished).order_by(_x.ended).limit(bindparam("limit")), of=executions
        )
        self._runs_of = select(task_runs.c.id).where(task_runs.c.execution_id.in_(_ids))
        self._items = delete(loop_items).where(loop_items.c.task_run_id.in_(bindparam("runs", expanding=True)))
        self._runs = delete(task_runs).where(task_runs.c.execution_id.in_(_ids))
        self._logs = delete(logs).where(logs.c.execution_id.in_(_ids))
        # A finished execution owns no queue rows; any left over would only be noise for the services.
        self._queues = [delete(t).where(t.c.execution_id.in_(_ids)) for t in (events, jobs, timers, execution_ends)]
        self._executions = delete(executions).where(_x.id.in_(_ids))
        self._log_owners = select(logs.c.execution_id).where(
            logs.c.execution_id.in_(select(_x.id).where(finished)),
        ).distinct().limit(bindparam("limit"))

    def purge_executions(self, conn: Connection, before: datetime, limit: int) -> PurgeCount:
        """Delete up to `limit` executions that ended before `before`, with everything they own."""
        ids = list(conn.execute(self._pick, {"before": before, "limit": limit}).scalars())
        if not ids:
            return PurgeCount()
        runs = list(conn.execute(self._runs_of, {"ids": ids}).scalars())
        if runs:
            conn.execute(self._items, {"runs": runs})
        run_count = conn.execute(self._runs, {"ids": ids}).rowcount
        log_count = conn.execute(self._logs, {"ids": ids}).rowcount
        for statement in self._queues:
            conn.execute(statement, {"ids": ids})
        conn.execute(self._executions, {"ids": ids})
        return PurgeCount(executions=len(ids), task_runs=run_count, logs=log_count)

    def purge_logs(self, conn: Connection, before: datetime, limit: int) -> int:
        """Delete the logs of up to `limit` executions that ended before `before` (executions kept)."""
        ids = list(conn.execute(self._log_owners, {"before": before, "limit": limit}).scalars())
        return conn.execute(self._logs, {"ids": ids}).rowcount if ids else 0
