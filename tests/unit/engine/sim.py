"""Drives the pure engine with in-memory rows: events in, decisions folded into a MemoryView, commands
answered the way the executor and a worker would (jobs succeed unless the test says otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from legato import plugins
from legato.engine import commands as cmd
from legato.engine import events as ev
from legato.engine.decide import Engine
from legato.engine.view import MemoryView
from legato.model.execution import Execution, TaskRun
from legato.model.flow import Flow
from legato.model.loader import load_flow
from legato.model.state import State

T0 = datetime(2026, 1, 1, tzinfo=UTC)

# A job outcome: the state, the outputs, and an error message.
Outcome = tuple[State, dict[str, Any], str | None]
Worker = Callable[[TaskRun, int], Outcome]


def succeed(run: TaskRun, attempt: int) -> Outcome:
    return State.SUCCESS, {"value": run.task_id}, None


@dataclass
class Sim:
    flow: Flow
    view: MemoryView
    engine: Engine = field(default_factory=Engine)
    now: datetime = T0
    commands: list[cmd.Command] = field(default_factory=list)
    logs: list[tuple[str | None, str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, source: str, inputs: dict[str, Any] | None = None) -> Sim:
        flow = load_flow(source, registry=plugins.registry(), triggers=plugins.trigger_registry())
        execution = Execution(id="exec1", namespace=flow.namespace, flow_id=flow.id, flow_revision=1,
                              inputs=inputs or {}, created=T0)
        return cls(flow=flow, view=MemoryView(execution))

    @property
    def execution(self) -> Execution:
        return self.view.execution

    def send(self, event: ev.EngineEvent) -> cmd.Decision:
        decision = self.engine.decide(self.flow, self.view, event, self.now)
        self.view.apply(decision.execution, decision.task_runs, decision.items)
        self.commands.extend(decision.commands)
        self.logs.extend(decision.logs)
        return decision

    def pending(self, kind: type) -> list[Any]:
        return [c for c in self.commands if isinstance(c, kind)]

    def take(self, kind: type) -> list[Any]:
        """Remove and return the pending commands of `kind`."""
        found = self.pending(kind)
        self.commands = [c for c in self.commands if not isinstance(c, kind)]
        return found

    def run(self, worker: Worker = succeed, *, max_steps: int = 100_000) -> Execution:
        """Start the execution and answer jobs and timers until nothing is left to do."""
        self.send(ev.ExecutionCreated())
        return self.drain(worker, max_steps=max_steps)

    def drain(self, worker: Worker = succeed, *, max_steps: int = 100_000) -> Execution:
        for _ in range(max_steps):
            jobs = self.take(cmd.DispatchJob)
            if jobs:
                for job in jobs:
                    run = self.view.task_run(job.task_run_id)
                    state, outputs, error = worker(run, job.attempt)
                    self.send(ev.TaskResult(task_run_id=run.id, attempt=job.attempt, state=state,
                                            outputs=outputs, error=error))
                continue
            timers = sorted(self.take(cmd.ScheduleTimer), key=lambda t: t.at)
            if timers:
                timer = timers[0]
                self.commands.extend(timers[1:])
                self.now = max(self.now, timer.at)
                self.send(ev.TimerFired(task_run_id=timer.task_run_id, timer=timer.timer, key=timer.key))
                continue
            return self.execution
        raise AssertionError("the simulation did not settle")

    def runs(self, task_id: str) -> list[TaskRun]:
        return [r for r in self.view.runs.values() if r.task_id == task_id]

    def state_of(self, task_id: str) -> State:
        (run,) = self.runs(task_id)
        return run.state

    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
