"""The engine's read access to one execution: what `decide()` may look at, and nothing else.

The store implements it inside the event's transaction; `MemoryView` implements it over plain lists
(for tests and for the engine's own derivations). Every method is bounded by the size of one scope
(the children of one flowable in one iteration), never by the size of the whole execution.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from legato.model.execution import Execution, TaskRun
from legato.model.state import State


class ExecutionView(Protocol):
    @property
    def execution(self) -> Execution: ...

    def task_run(self, task_run_id: str) -> TaskRun:
        """The task run with this id (raises KeyError when there is none)."""
        ...

    def prefetch(self, task_run_ids: Iterable[str]) -> None:
        """Read these task runs (or learn that they do not exist) at once, before `task_run` asks for each: a
        batch of new runs checks its ids in one read."""
        ...

    def scope(self, parent_id: str | None, branch: str, iteration: int | None) -> list[TaskRun]:
        """Task runs of one child list of one parent in one iteration, in creation order."""
        ...

    def item(self, loop_run_id: str, index: int) -> Any:
        """The loop item at `index` stored for a loop task run."""
        ...

    def runs_in_states(self, states: Iterable[State]) -> list[TaskRun]:
        """Task runs of the execution currently in one of `states` (used for kill, resume, restart)."""
        ...

    def outputs_of(self, task_id: str) -> list[TaskRun]:
        """Every task run of `task_id` that has outputs (one, or one per loop iteration)."""
        ...


class MemoryView:
    """ExecutionView over in-memory rows: the engine's tests feed it, `apply` folds decisions into it."""

    def __init__(self, execution: Execution, runs: Iterable[TaskRun] = (), items: dict[str, list[Any]] | None = None):
        self._execution = execution
        self.runs: dict[str, TaskRun] = {}
        # Indexed by scope like the store's table, so a loop of n items costs O(n) here too, not O(n^2).
        self._scopes: dict[tuple[str | None, str, int | None], dict[str, None]] = {}
        self.items: dict[str, list[Any]] = dict(items or {})
        self._put(runs)

    @property
    def execution(self) -> Execution:
        return self._execution

    def task_run(self, task_run_id: str) -> TaskRun:
        return self.runs[task_run_id]

    def prefetch(self, task_run_ids: Iterable[str]) -> None:
        return None  # every run is in memory already

    def scope(self, parent_id: str | None, branch: str, iteration: int | None) -> list[TaskRun]:
        return [self.runs[i] for i in self._scopes.get((parent_id, branch, iteration), {})]

    def item(self, loop_run_id: str, index: int) -> Any:
        return self.items[loop_run_id][index]

    def runs_in_states(self, states: Iterable[State]) -> list[TaskRun]:
        wanted = set(states)
        return [r for r in self.runs.values() if r.state in wanted]

    def outputs_of(self, task_id: str) -> list[TaskRun]:
        return [r for r in self.runs.values() if r.task_id == task_id and r.outputs]

    def apply(self, execution: Execution | None, runs: dict[str, TaskRun], items: dict[str, list[Any]]) -> None:
        """Fold one decision's writes into the view, as the store would commit them."""
        if execution is not None:
            self._execution = execution
        self._put(runs.values())
        self.items.update(items)

    def _put(self, runs: Iterable[TaskRun]) -> None:
        for run in runs:
            self.runs[run.id] = run
            self._scopes.setdefault((run.parent_id, run.branch, run.iteration), {})[run.id] = None
