"""What a worker job of a flowable (WorkingDirectory, ForEachItem) works with: the job, its flow and runs,
its own RunContext, and ways to report its children's progress and to build their contexts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from legato.engine import context as expr_context
from legato.engine import events as ev
from legato.engine.decide import with_effects
from legato.expressions import Masker
from legato.model.execution import Execution, TaskRun
from legato.model.flow import Flow
from legato.model.task import Task
from legato.store.ports import Job
from legato.worker.context import WorkerContext

if TYPE_CHECKING:
    from legato.worker.service import Worker


class Overlay:
    """The runs an expression sees: the children this job ran so far, over the execution's stored runs."""

    def __init__(self, below: Any):
        self._below = below
        self._runs: dict[str, TaskRun] = {}

    def put(self, run: TaskRun) -> None:
        self._runs[run.id] = run

    def run(self, task_run_id: str) -> TaskRun:
        found = self._runs.get(task_run_id)
        return found if found is not None else self._below.run(task_run_id)  # type: ignore[no-any-return,unused-ignore]

    def maybe_run(self, task_run_id: str) -> TaskRun | None:
        try:
            return self.run(task_run_id)
        except KeyError:
            return None

    def outputs_of(self, task_id: str) -> list[TaskRun]:
        mine = [r for r in self._runs.values() if r.task_id == task_id and r.outputs]
        return mine or list(self._below.outputs_of(task_id))


@dataclass
class WorkerJob:
    worker: Worker
    job: Job
    flow: Flow
    source: Any
    wctx: WorkerContext  # the flowable's own context (its logs, rendering its properties)
    masker: Masker
    cancelled: asyncio.Event
    evented: bool = field(default=False)  # events were reported: the result must follow them in the queue
    execution: Execution | None = None  # the execution as the children changed it (labels, variables)

    @property
    def run(self) -> TaskRun:
        return self.wctx.task_run

    async def report(self, event: ev.Event) -> None:
        """Queue an event for the executor (fenced there by the job's attempt)."""
        self.evented = True
        await asyncio.to_thread(self.worker.store.send_event, self.job.execution_id, event)

    def child_context(self, source: Any, run: TaskRun, task: Task, attempt: int) -> tuple[WorkerContext, Masker]:
        execution = self.execution or self.wctx.execution
        # as in Kestra, a WorkingDirectory's children see its own task run as `workerTaskrun`
        extra = {"workerTaskrun": expr_context.taskrun_vars(self.run)}
        return self.worker.task_context(self.flow, execution, source, run, task, attempt, self.cancelled, extra)

    def apply(self, effects: ev.Effects | None) -> None:
        """A child changed labels or variables: the next children see them, as the executor will record them."""
        if effects is not None:
            self.execution = with_effects(self.execution or self.wctx.execution, effects)

