"""ExecutionView over the database, inside the executor's transaction: the same answers as
engine.view.MemoryView, read lazily, cached for the transaction and kept in step with its own writes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection

from legato.model.execution import Execution, TaskRun
from legato.model.state import State
from legato.store.task_runs import TaskRunQueries

_ScopeKey = tuple[str | None, str, int | None]


class SqlView:
    """The locked execution of one event; every read sees the transaction's earlier writes."""

    def __init__(self, conn: Connection, queries: TaskRunQueries, execution: Execution,
                 before_read: Callable[[str], None] | None = None):
        self._conn = conn
        # Writes the transaction still holds back for this execution (see store.pending), before a read.
        self._before_read = before_read or _nothing
        self._q = queries
        self._execution = execution
        self._runs: dict[str, TaskRun] = {}
        self._absent: set[str] = set()  # ids read and not found (new runs are written into `_runs`)
        self._scopes: dict[_ScopeKey, list[TaskRun]] = {}
        self._items: dict[tuple[str, int], Any] = {}

    @property
    def execution(self) -> Execution:
        return self._execution

    def task_run(self, task_run_id: str) -> TaskRun:
        run = self._runs.get(task_run_id)
        if run is None:
            if task_run_id in self._absent:
                raise KeyError(task_run_id)
            self._before_read(self._execution.id)
            run = self._q.get(self._conn, task_run_id)
            if run is None or run.execution_id != self._execution.id:
                raise KeyError(task_run_id)
            self._runs[task_run_id] = run
        return run

    def prefetch(self, task_run_ids: Iterable[str]) -> None:
        wanted = {i for i in task_run_ids if i not in self._runs and i not in self._absent}
        if not wanted:
            return
        self._before_read(self._execution.id)
        self.known(self._q.get_many(self._conn, wanted))
        self._absent.update(wanted - self._runs.keys())

    def known(self, runs: Iterable[TaskRun]) -> None:
        """Take in task runs read ahead (with the transaction's other reads) before anything was written."""
        self._runs.update((r.id, r) for r in runs if r.execution_id == self._execution.id)

    def scope(self, parent_id: str | None, branch: str, iteration: int | None) -> list[TaskRun]:
        key = (parent_id, branch, iteration)
        runs = self._scopes.get(key)
        if runs is None:
            self._before_read(self._execution.id)
            runs = self._q.scope(self._conn, self._execution.id, parent_id, branch, iteration)
            self._scopes[key] = runs
            self._runs.update((r.id, r) for r in runs)
        return list(runs)

    def item(self, loop_run_id: str, index: int) -> Any:
        key = (loop_run_id, index)
        if key not in self._items:
            found, value = self._q.item(self._conn, loop_run_id, index)
            if not found:
                raise IndexError(f"loop run {loop_run_id} has no item {index}")
            self._items[key] = value
        return self._items[key]

    def runs_in_states(self, states: Iterable[State]) -> list[TaskRun]:
        self._before_read(self._execution.id)
        runs = self._q.in_states(self._conn, self._execution.id, states)
        self._runs.update((r.id, r) for r in runs)
        return runs

    def outputs_of(self, task_id: str) -> list[TaskRun]:
        self._before_read(self._execution.id)
        runs = self._q.of_task(self._conn, self._execution.id, task_id)
        self._runs.update((r.id, r) for r in runs)
        return [r for r in runs if r.outputs]

    def written(self, execution: Execution | None, runs: Iterable[TaskRun], items: Iterable[str]) -> None:
        """Take in what the transaction just wrote, so later reads agree with it."""
        if execution is not None:
            self._execution = execution
        for run in runs:
            key = (run.parent_id, run.branch, run.iteration)
            old = self._runs.get(run.id)
            if old is not None and (old.parent_id, old.branch, old.iteration) != key:
                self._scopes.pop((old.parent_id, old.branch, old.iteration), None)
                self._scopes.pop(key, None)
            cached = self._scopes.get(key)
            if cached is not None:
                # A run absent from a loaded scope is new, and new rows sort last in creation order.
                at = next((i for i, r in enumerate(cached) if r.id == run.id), None)
                if at is None:
                    cached.append(run)
                else:
                    cached[at] = run
            self._runs[run.id] = run
        dropped = set(items)
        if dropped:
            self._items = {k: v for k, v in self._items.items() if k[0] not in dropped}



def _nothing(_execution_id: str) -> None:
    return None
