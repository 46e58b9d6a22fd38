"""The engine's scratch pad for one event: the view's rows overlaid with the decision being built."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from legato.engine.commands import Command, Decision
from legato.engine.phases import Phases
from legato.engine.view import ExecutionView
from legato.model.execution import Execution, TaskRun
from legato.model.state import State


class Working:
    """Reads see this event's own writes; writes accumulate into one Decision."""

    def __init__(self, view: ExecutionView, now: datetime):
        self.view = view
        self.now = now
        self.decision = Decision()
        self._execution = view.execution

    # execution -------------------------------------------------------------------
    @property
    def execution(self) -> Execution:
        return self._execution

    def set_execution(self, execution: Execution) -> None:
        self._execution = execution
        self.decision.execution = execution

    def execution_state(self, state: State) -> None:
        if state == State.RUNNING and self._execution.ended is not None:
            self.set_execution(self._execution.model_copy(update={"ended": None}))
        self.set_execution(self._execution.with_state(state, self.now))

    @property
    def phases(self) -> Phases:
        return Phases.of(self._execution)

    def set_phases(self, **changes: Any) -> None:
        """Change the execution's phase state (`Phases` fields)."""
        phases = dataclasses.replace(self.phases, **changes)
        self.set_execution(self._execution.model_copy(update={"scratch": phases.into(self._execution.scratch)}))

    # task runs -------------------------------------------------------------------
    def run(self, task_run_id: str) -> TaskRun:
        pending = self.decision.task_runs.get(task_run_id)
        return pending if pending is not None else self.view.task_run(task_run_id)

    def maybe_run(self, task_run_id: str) -> TaskRun | None:
        try:
            return self.run(task_run_id)
        except KeyError:
            return None

    def put(self, run: TaskRun) -> TaskRun:
        self.decision.task_runs[run.id] = run
        return run

    def scope(self, parent_id: str | None, branch: str, iteration: int | None) -> list[TaskRun]:
        rows = {r.id: r for r in self.view.scope(parent_id, branch, iteration)}
        for run in self.decision.task_runs.values():
            if run.parent_id == parent_id and run.branch == branch and run.iteration == iteration:
                rows[run.id] = run
        return list(rows.values())

    def runs_in_states(self, states: Iterable[State]) -> list[TaskRun]:
        wanted = frozenset(states)
        rows = {r.id: r for r in self.view.runs_in_states(wanted)}
        for run in self.decision.task_runs.values():
            if run.state in wanted:
                rows[run.id] = run
            else:
                rows.pop(run.id, None)
        return list(rows.values())

    def outputs_of(self, task_id: str) -> list[TaskRun]:
        rows = {r.id: r for r in self.view.outputs_of(task_id)}
        for run in self.decision.task_runs.values():
            if run.task_id == task_id and run.outputs:
                rows[run.id] = run
        return list(rows.values())

    def item(self, loop_run_id: str, index: int) -> Any:
        pending = self.decision.items.get(loop_run_id)
        if pending is not None:
            return pending[index]
        return self.view.item(loop_run_id, index)

    # effects ---------------------------------------------------------------------
    def command(self, command: Command) -> None:
        self.decision.commands.append(command)

    def log(self, task_run_id: str | None, level: str, message: str) -> None:
        self.decision.logs.append((task_run_id, level, message))
