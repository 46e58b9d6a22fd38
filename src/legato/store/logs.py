"""Execution logs: appended in batches, read back in insertion order, filtered by task run and level."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from legato.model.execution import LogRecord
from legato.store.schema import logs

# Severity order; WARNING is accepted as another spelling of WARN.
LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4}
_l = logs.c


def levels_at_least(min_level: str) -> list[str]:
    """The level names as severe as `min_level` or more."""
    rank = LEVELS.get(min_level.upper())
    if rank is None:
        raise ValueError(f"unknown log level {min_level!r}; use one of TRACE, DEBUG, INFO, WARN, ERROR")
    return sorted(name for name, r in LEVELS.items() if r >= rank)


class LogQueries:
    """Named queries over the logs table."""

    def __init__(self) -> None:
        self._insert = insert(logs)

    def append(self, conn: Connection, records: Sequence[LogRecord]) -> None:
        """Insert a batch of log lines."""
        if records:
            conn.execute(self._insert, [r.model_dump() for r in records])

    def read(self, conn: Connection, execution_id: str, task_run_id: str | None, min_level: str | None) -> list[LogRecord]:
        """An execution's log lines in insertion order, optionally of one task run and from a level up."""
        query = select(_l.execution_id, _l.task_run_id, _l.task_id, _l.attempt, _l.level, _l.message, _l.timestamp)
        query = query.where(_l.execution_id == execution_id)
        if task_run_id is not None:
            query = query.where(_l.task_run_id == task_run_id)
        if min_level is not None:
            query = query.where(_l.level.in_(levels_at_least(min_level)))
        return [LogRecord.model_validate(row._mapping) for row in conn.execute(query.order_by(_l.id))]
