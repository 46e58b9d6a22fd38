"""The engine's side of flowables run by a worker as one job (legato.model.flowable_worker).

WorkingDirectory: the task run itself is dispatched; the worker reports each child as it starts and ends
(WorkChildStarted / WorkChildEnded, fenced by the WorkingDirectory's attempt), and the job's result ends the
WorkingDirectory (then its local errors/finally run as for any flowable). A lost worker re-dispatches the
whole WorkingDirectory: its children run again, as next attempts of the same task runs.

ForEachItem: phase "split" is a job that cuts the file into batches in storage (batch i is
`<batchPrefix><i + 1><batchExtension>`); then one subflow execution per batch; with `wait`, phase "merge"
is a second job that writes the executions' outputs into one file. Per-event work is O(1): counters live in
the run's scratch and its `iterations` output, batch URIs are computed, never listed. Each phase also shows as a
task run of its own under the ForEachItem's, as in Kestra: `<id>_split`, `<id>_items` (numberOfBatches,
iterations) and `<id>_merge` (subflowOutputs), so `outputs.<id>_merge.subflowOutputs` reads the merged file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from legato.engine import commands as cmd
from legato.engine import context as expr_context
from legato.engine import events as ev
from legato.engine import flowables, start
from legato.engine.phases import ItemBatches, LoopPosition
from legato.engine.step import Step
from legato.model import state as st
from legato.model.execution import Attempt, TaskRun
from legato.model.flowable_worker import ForEachItem, WorkerFlowable, WorkingDirectory
from legato.model.ids import derived_id
from legato.model.state import State

BATCH_PREFIX = "batchPrefix"  # split job outputs moved to scratch (internal, not user-facing)
BATCH_EXTENSION = "batchExtension"


def subflow_execution_id(parent_id: str, task_run_id: str, restarts: int, batch: int | None, attempt: int = 1) -> str:
    """The id of the execution a Subflow (batch None; each attempt its own) or a ForEachItem batch starts:
    the same on replay."""
    if batch is None:
        if attempt > 1:
            return derived_id(parent_id, task_run_id, restarts, "subflow", None, attempt)
        return derived_id(parent_id, task_run_id, restarts, "subflow")
    return derived_id(parent_id, task_run_id, restarts, "subflow", batch)


def child_run_id(execution_id: str, parent_run_id: str, task_id: str) -> str:
    """The task run id of a WorkingDirectory child (what Step.new_run derives for it)."""
    return derived_id(execution_id, parent_run_id, "tasks", None, task_id)


def enter(step: Step, run: TaskRun, task: WorkerFlowable) -> State | None:
    """Dispatch the whole task to a worker."""
    if isinstance(task, ForEachItem):
        run = step.w.put(ItemBatches(phase="split").on(run))
        _part(step, run, "split")
    step.dispatch(run, task)
    return None


def job_ended(step: Step, run: TaskRun, task: WorkerFlowable, state: State, error: str | None) -> TaskRun:
    """The worker's job for `run` ended in `state`: end the task, or start its next phase."""
    if error is not None:
        run = step.w.put(run.model_copy(update={"error": error}))
    if isinstance(task, ForEachItem):
        phase = ItemBatches.of(run).phase
        if state in st.SUCCESSFUL and phase == "split":
            _end_part(step, run, "split", State.SUCCESS)
            return _start_batches(step, run, task)
        if state in st.SUCCESSFUL and phase == "merge":
            _end_part(step, run, "merge", State.SUCCESS, {"subflowOutputs": run.outputs.get("uri")})
            return flowables.after_main(step, run, task, _batches_outcome(run, task))
        if phase in ("split", "merge"):
            _end_part(step, run, phase, state)
    return flowables.after_main(step, run, task, state)


# WorkingDirectory children ------------------------------------------------------------------------
def _parent(step: Step, task_run_id: str, attempt: int) -> TaskRun | None:
    """The running WorkingDirectory the child event is about, or None for a stale event."""
    run = step.w.maybe_run(task_run_id)
    if run is None or step.w.execution.state in st.TERMINAL or run.state in st.TERMINAL:
        return None
    if attempt != len(run.attempts) or not isinstance(step.task(run), WorkingDirectory):
        return None
    return run


def _child(step: Step, parent: TaskRun, task_id: str) -> TaskRun:
    existing = step.w.maybe_run(child_run_id(step.w.execution.id, parent.id, task_id))
    if existing is not None and existing.state in (State.RUNNING, State.CREATED):
        return existing
    return step.w.put(step.new_run(step.flow.task(task_id), parent, "tasks", None, None, None))


def on_child_started(step: Step, event: ev.WorkChildStarted) -> None:
    parent = _parent(step, event.task_run_id, event.attempt)
    if parent is None:
        return
    run = _child(step, parent, event.task_id)
    if run.attempts and run.attempts[-1].state not in st.TERMINAL:  # left running by a lost worker
        lost = run.attempts[-1].model_copy(update={"state": State.RESUBMITTED, "ended": step.w.now})
        run = run.model_copy(update={"attempts": (*run.attempts[:-1], lost)})
    attempt = Attempt(state=State.RUNNING, started=event.started or step.w.now, worker_id=event.worker_id)
    run = run.model_copy(update={"attempts": (*run.attempts, attempt)})
    step.w.put(run.with_state(State.RUNNING, step.w.now))


def on_child_ended(step: Step, event: ev.WorkChildEnded) -> bool:
    """Record the child's end; False when the event is stale (its effects must not apply either)."""
    parent = _parent(step, event.task_run_id, event.attempt)
    if parent is None:
        return False
    run = _child(step, parent, event.task_id)
    if event.state == State.SKIPPED:
        step.w.log(run.id, "INFO", f"Task '{run.task_id}' skipped: its condition is false")
    else:
        if not run.attempts or run.attempts[-1].state in st.TERMINAL:
            run = run.model_copy(update={"attempts": (*run.attempts, Attempt(state=State.RUNNING))})
        last = run.attempts[-1].model_copy(update={
            "state": event.state, "started": event.started or run.attempts[-1].started,
            "ended": event.ended or step.w.now, "worker_id": event.worker_id or run.attempts[-1].worker_id,
            "runner": event.runner or run.attempts[-1].runner,
        })
        run = run.model_copy(update={"attempts": (*run.attempts[:-1], last)})
    update: dict[str, Any] = {"outputs": {**run.outputs, **event.outputs}}
    if event.metrics:
        update["metrics"] = [*run.metrics, *event.metrics]
    step.finish(run.model_copy(update=update), event.state, error=event.error)
    return True


# ForEachItem --------------------------------------------------------------------------------------
def part_run_id(execution_id: str, run: TaskRun, name: str) -> str:
    """The id of the task run of the phase `name` (split, items, merge) of the ForEachItem `run`."""
    return derived_id(execution_id, run.id, "parts", None, f"{run.task_id}_{name}")


def _part_id(step: Step, run: TaskRun, name: str) -> str:
    return part_run_id(step.w.execution.id, run, name)


def _part(step: Step, run: TaskRun, name: str, outputs: dict[str, Any] | None = None) -> TaskRun:
    """The RUNNING task run of the phase `name` of the ForEachItem `run` (made on first use)."""
    existing = step.w.maybe_run(_part_id(step, run, name))
    if existing is not None and existing.state not in st.TERMINAL:
        return existing
    part = TaskRun(id=_part_id(step, run, name), execution_id=step.w.execution.id, task_id=f"{run.task_id}_{name}",
                   parent_id=run.id, branch="parts", value=run.value, iteration=run.iteration,
                   attempts=(Attempt(state=State.RUNNING, started=step.w.now),), outputs=outputs or {},
                   scratch=replace(LoopPosition.of(run), item=None).into({}))
    return step.w.put(part.with_state(State.RUNNING, step.w.now))


def _end_part(step: Step, run: TaskRun, name: str, state: State, outputs: dict[str, Any] | None = None) -> None:
    part = step.w.maybe_run(_part_id(step, run, name))
    if part is None or part.state in st.TERMINAL:
        return
    attempts = tuple(a.model_copy(update={"state": state, "ended": step.w.now}) if a.state not in st.TERMINAL else a
                     for a in part.attempts)
    update: dict[str, Any] = {"attempts": attempts, "outputs": {**part.outputs, **(outputs or {})}}
    step.w.put(part.model_copy(update=update).with_state(state, step.w.now))


def _skip_merge(step: Step, run: TaskRun) -> None:
    """No outputs to merge (no batch, or executions not waited for): `<id>_merge` still runs, as in Kestra."""
    _part(step, run, "merge")
    _end_part(step, run, "merge", State.SUCCESS)


def _items_outputs(step: Step, run: TaskRun) -> None:
    """`<id>_items` shows the ForEachItem's numberOfBatches and iterations as they change."""
    part = _part(step, run, "items")
    wanted = {k: run.outputs[k] for k in ("numberOfBatches", "iterations") if k in run.outputs}
    step.w.put(part.model_copy(update={"outputs": {**part.outputs, **wanted}}))


def _start_batches(step: Step, run: TaskRun, task: ForEachItem) -> TaskRun:
    outputs = dict(run.outputs)
    prefix, extension = str(outputs.pop(BATCH_PREFIX, "")), str(outputs.pop(BATCH_EXTENSION, ""))
    total = int(outputs.get("numberOfBatches", 0))
    outputs["iterations"] = {"max": total, "CREATED": 0, "RUNNING": 0}
    run = step.w.put(ItemBatches(phase="subflows", total=total).on(run.model_copy(update={"outputs": outputs})))
    _items_outputs(step, run)
    if total == 0:
        _end_part(step, run, "items", State.SUCCESS)
        _skip_merge(step, run)
        return flowables.after_main(step, run, task, State.SUCCESS)
    target = task.target()
    inherited = {lb.key: lb.value for lb in step.w.execution.labels} if target.inheritLabels else \
        start.system_labels(step.w.execution)
    namespace, flow_id = str(step.render(target.namespace, run)), str(step.render(target.flowId, run))
    for index in range(total):
        items = f"{prefix}{index + 1}{extension}"
        taskrun = {"id": run.id, "taskId": run.task_id, "value": run.value, "items": items, "iteration": index,
                   "parentId": run.parent_id, "attemptsCount": expr_context.attempts_count(run)}
        context = step.context(run, {"taskrun": taskrun})
        inputs = step.renderer.render_all(target.inputs, context, functions=step.functions, typed=True)
        rendered = step.renderer.render_all(target.labels, context, functions=step.functions)
        labels = {**inherited, **{str(k): str(v) for k, v in rendered.items()}}
        step.w.command(cmd.CreateSubflow(
            task_run_id=run.id, namespace=namespace, flow_id=flow_id, revision=target.revision, inputs=inputs,
            labels=labels, batch=index,
        ))
    return run


def _count(run: TaskRun, *, created: int = 0, ended: int = 0, failed: int = 0, **by_state: int) -> TaskRun:
    """Move the batch counters and the `iterations` output (counts by state, upper-case keys)."""
    iterations = dict(run.outputs.get("iterations") or {})
    for key, delta in by_state.items():
        iterations[key] = iterations.get(key, 0) + delta
    sc = ItemBatches.of(run)
    sc = replace(sc, created=sc.created + created, ended=sc.ended + ended, failed=sc.failed + failed)
    return sc.on(run.model_copy(update={"outputs": {**run.outputs, "iterations": iterations}}))


def batch_created(step: Step, run: TaskRun, task: ForEachItem, error: str | None) -> TaskRun:
    """One batch's execution was created (or could not be: that batch counts as failed)."""
    if error is not None:
        step.w.log(run.id, "ERROR", f"a batch's execution could not be created: {error}")
        run = step.w.put(_count(run, created=1, ended=1, failed=1, FAILED=1))
    else:
        run = step.w.put(_count(run, created=1, CREATED=1))
    _items_outputs(step, run)
    return _maybe_done(step, run, task)


def batch_ended(step: Step, run: TaskRun, task: ForEachItem, state: State) -> TaskRun:
    """One batch's execution ended in `state`."""
    failed = 1 if state in st.FAILURE or state == State.CANCELLED else 0
    run = step.w.put(_count(run, ended=1, failed=failed, CREATED=-1, **{str(state): 1}))
    _items_outputs(step, run)
    return _maybe_done(step, run, task)


def _maybe_done(step: Step, run: TaskRun, task: ForEachItem) -> TaskRun:
    sc = ItemBatches.of(run)
    if sc.phase != "subflows" or sc.created < sc.total:
        return run
    if not task.target().wait:
        outcome = State.FAILED if sc.failed else State.SUCCESS
        _end_part(step, run, "items", outcome)
        _skip_merge(step, run)
        return flowables.after_main(step, run, task, outcome)
    if sc.ended < sc.total:
        return run
    if sc.failed and task.target().transmitFailed:  # as Kestra: no merge once a batch failed the task
        _end_part(step, run, "items", State.FAILED)
        return flowables.after_main(step, run, task, State.FAILED)
    _end_part(step, run, "items", State.WARNING if run.outputs.get("iterations", {}).get("WARNING") else State.SUCCESS)
    run = step.w.put(replace(sc, phase="merge").on(run))
    _part(step, run, "merge")
    return step.dispatch(run, task)


def _batches_outcome(run: TaskRun, task: ForEachItem) -> State:
    if ItemBatches.of(run).failed:
        return State.FAILED if task.target().transmitFailed else State.SUCCESS
    return State.WARNING if run.outputs.get("iterations", {}).get("WARNING") else State.SUCCESS
