"""ExecutionView outside any transaction: each read is its own short query (workers render with it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from legato.model.execution import Execution, TaskRun
from legato.model.state import State
from legato.store.database import Database
from legato.store.task_runs import TaskRunQueries


class ReadView:
    """A snapshot-free, read-only view of one execution; no connection is held between reads."""

    def __init__(self, db: Database, queries: TaskRunQueries, execution: Execution):
        self._db = db
        self._q = queries
        self._execution = execution

    @property
    def execution(self) -> Execution:
        return self._execution

    def task_run(self, task_run_id: str) -> TaskRun:
        with self._db.read() as conn:
            run = self._q.get(conn, task_run_id)
        if run is None or run.execution_id != self._execution.id:
            raise KeyError(task_run_id)
        return run

    def prefetch(self, task_run_ids: Iterable[str]) -> None:
        return None  # it keeps nothing between reads: each `task_run` reads afresh

    def scope(self, parent_id: str | None, branch: str, iteration: int | None) -> list[TaskRun]:
        with self._db.read() as conn:
            return self._q.scope(conn, self._execution.id, parent_id, branch, iteration)

    def item(self, loop_run_id: str, index: int) -> Any:
        with self._db.read() as conn:
            found, value = self._q.item(conn, loop_run_id, index)
        if not found:
            raise IndexError(f"loop run {loop_run_id} has no item {index}")
        return value

    def runs_in_states(self, states: Iterable[State]) -> list[TaskRun]:
        with self._db.read() as conn:
            return self._q.in_states(conn, self._execution.id, states)

    def outputs_of(self, task_id: str) -> list[TaskRun]:
        with self._db.read() as conn:
            return [r for r in self._q.of_task(conn, self._execution.id, task_id) if r.outputs]
