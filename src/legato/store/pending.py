"""Write-behind for the executor's transaction: execution rows, task-run rows and unclaimed jobs are kept
in memory and written in one statement per table, just before anything in the same transaction could
read them and at the latest before the commit. Every write still commits (or rolls back) with the events
that caused it; only the number of round trips changes.

Reads of one execution's task runs (its view) need only that execution's pending rows written first;
any other statement of the transaction (counts over executions, job cancellation, ...) writes all of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from legato.model.execution import Execution, TaskRun
from legato.store.queries import Queries

# (execution_id, task_run_id, attempt, worker_group, created)
JobRow = tuple[str, str, int, str | None, datetime]


class PendingWrites:
    """The rows written so far by one transaction and not yet sent to the database."""

    __slots__ = ("_conn", "_executions", "_jobs", "_q", "_runs")

    def __init__(self, conn: Connection, queries: Queries):
        self._conn = conn
        self._q = queries
        self._executions: dict[str, Execution] = {}
        self._runs: dict[str, dict[str, TaskRun]] = {}  # by execution, in first-write order
        self._jobs: list[JobRow] = []

    def execution(self, execution: Execution) -> None:
        self._executions[execution.id] = execution

    def task_runs(self, execution_id: str, runs: list[TaskRun]) -> None:
        if runs:
            mine = self._runs.setdefault(execution_id, {})
            for run in runs:
                mine[run.id] = run  # the last version wins; a new run keeps its first position (creation order)

    def job(self, row: JobRow) -> None:
        self._jobs.append(row)

    def flush_runs(self, execution_id: str) -> None:
        """Write what the view of `execution_id` could read: its task runs."""
        runs = self._runs.pop(execution_id, None)
        if runs:
            self._q.task_runs.upsert(self._conn, list(runs.values()))

    def flush(self) -> None:
        """Write everything pending (executions, then task runs, then jobs: the order of direct writes)."""
        if self._executions:
            self._q.executions.upsert_many(self._conn, list(self._executions.values()))
            self._executions.clear()
        if self._runs:
            self._q.task_runs.upsert(self._conn, [r for runs in self._runs.values() for r in runs.values()])
            self._runs.clear()
        if self._jobs:
            self._q.jobs.insert_many(self._conn, self._jobs)
            self._jobs.clear()
