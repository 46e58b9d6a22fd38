"""A WorkingDirectory on its worker: one directory, the children run in it one after the other.

Before the first child: the cache (if any, still fresh) is unpacked, then inputFiles and namespaceFiles are
staged. Each child is reported as it starts and ends (its own task run, attempt, logs and outputs, visible to
the next children at once through an overlay of the runs). A failure stops the sequence (allowFailure
children excepted). After a successful sequence the outputFiles are uploaded and the cache is saved.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import zipfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from legato.engine import events as ev
from legato.engine.phases import LoopPosition
from legato.engine.worker_flowables import child_run_id
from legato.expressions import ExpressionError, truthy
from legato.model import state as st
from legato.model.execution import Attempt, StateEntry, TaskRun
from legato.model.flowable_worker import WorkingDirectory
from legato.model.state import State
from legato.model.task import Task
from legato.plugins.context import TaskFailed
from legato.plugins.runnable import RunnableTask, task_timeout
from legato.plugins.scripts import files
from legato.plugins.scripts.base import ScriptBase
from legato.plugins.scripts.execution import work_root
from legato.runners.specs import RunnerSpec
from legato.storage import StorageError, task_run_prefix
from legato.worker import workdir_cache
from legato.worker.attempt import Outcome, run_attempt, timeout_message
from legato.worker.group import Overlay, WorkerJob

_RUNNER_SPEC: TypeAdapter[Any] = TypeAdapter(RunnerSpec)


async def run(group: WorkerJob, task: WorkingDirectory) -> Outcome:
    """Run the WorkingDirectory's children in a fresh shared directory; its outcome."""
    wctx = group.wctx
    workdir = Path(tempfile.mkdtemp(prefix="legato-wd-", dir=work_root()))
    try:
        try:
            runner = _runner_default(task)
            if task.cache is not None:
                await _restore(group, task, workdir)
            await asyncio.to_thread(_stage, group, task, workdir)
        except TaskFailed as exc:
            wctx.logger.error(str(exc))
            return Outcome(State.FAILED, error=str(exc))
        # A timeout stops the running child as a kill would, so that child still reports its end.
        try:
            timeout = task_timeout(wctx, task)
        except TaskFailed as exc:
            wctx.logger.error(str(exc))
            return Outcome(State.FAILED, error=str(exc))
        timer = asyncio.get_running_loop().call_later(timeout.total_seconds(), group.cancelled.set) \
            if timeout else None
        try:
            outcome = await _children(group, task, workdir, runner)
        finally:
            if timer is not None:
                timer.cancel()
        if outcome.state == State.KILLED and timer is not None and timer.when() <= asyncio.get_running_loop().time():
            message = timeout_message(task.id, timeout)
            wctx.logger.error(message)
            return Outcome(State.FAILED, error=message)
        if outcome.state not in st.SUCCESSFUL:
            return outcome
        try:
            outputs = await asyncio.to_thread(_collect, group, task, workdir)
            if task.cache is not None:
                saved = await asyncio.to_thread(workdir_cache.save, wctx, task, workdir)
                wctx.logger.info(f"Cache saved: {saved} file(s)")
        except TaskFailed as exc:
            wctx.logger.error(str(exc))
            return Outcome(State.FAILED, error=str(exc))
        outcome.outputs = outputs
        return outcome
    finally:
        await asyncio.to_thread(shutil.rmtree, workdir, True)


async def _restore(group: WorkerJob, task: WorkingDirectory, workdir: Path) -> None:
    """Unpack the cache; a damaged or unreadable one is skipped with a warning (the tasks rebuild it)."""
    wctx = group.wctx
    try:
        restored = await asyncio.to_thread(workdir_cache.restore, wctx, task, workdir)
    except (zipfile.BadZipFile, StorageError, OSError) as exc:
        wctx.logger.warn(f"The cache could not be restored ({exc}): starting without it")
        return
    wctx.logger.info(f"Cache restored: {restored} file(s)" if restored is not None else "No cache to restore")


async def _children(group: WorkerJob, task: WorkingDirectory, workdir: Path, runner: Any) -> Outcome:
    overlay = Overlay(group.source)
    worst = State.SUCCESS
    exit_effects: ev.Effects | None = None
    for child in task.tasks:
        if child.disabled:
            continue
        if group.cancelled.is_set():
            return Outcome(State.KILLED, error="Task killed")
        state, effects = await _child(group, overlay, child, workdir, runner)
        if state in st.FAILURE:
            name = "killed" if state == State.KILLED else "failed"
            return Outcome(state, error=f"task '{child.id}' {name}")
        if state == State.WARNING:
            worst = State.WARNING
        if effects is not None and effects.exit_state is not None:
            exit_effects = ev.Effects(exit_state=effects.exit_state)
            break
    return Outcome(worst, effects=exit_effects)


async def _child(group: WorkerJob, overlay: Overlay, child: Task, workdir: Path,
                 runner: Any) -> tuple[State, ev.Effects | None]:
    """Run one child; its state as the WorkingDirectory sees it (allowFailure/allowWarning applied)."""
    wd_run, job, now = group.run, group.job, group.worker.clock()
    run = _child_run(overlay, wd_run, child, now)
    base = {"task_run_id": wd_run.id, "attempt": job.attempt, "task_id": child.id}
    try:
        go = _should_run(group, overlay, run, child)
    except TaskFailed as exc:
        group.wctx.logger.error(str(exc))
        await group.report(ev.WorkChildEnded(**base, state=State.FAILED, error=str(exc)))
        return State.FAILED, None
    if not go:
        await group.report(ev.WorkChildEnded(**base, state=State.SKIPPED))
        return State.SKIPPED, None
    assert isinstance(child, RunnableTask)
    if runner is not None and isinstance(child, ScriptBase) and child.taskRunner is None:
        child = child.model_copy(update={"taskRunner": runner})
    await group.report(ev.WorkChildStarted(**base, worker_id=group.worker.worker_id, started=now))
    cwctx, masker = group.child_context(overlay, run, child, len(run.attempts))
    cwctx.working_dir = workdir
    out = await run_attempt(child, cwctx, masker, group.cancelled)
    await asyncio.to_thread(cwctx.flush)
    await group.report(ev.WorkChildEnded(
        **base, state=out.state, outputs=out.outputs, metrics=out.metrics, error=out.error, effects=out.effects,
        worker_id=group.worker.worker_id, started=now, ended=group.worker.clock(), runner=out.runner,
    ))
    overlay.put(run.model_copy(update={"outputs": out.outputs, "state": out.state}))
    group.apply(out.effects)
    return st.as_allowed(out.state, allow_failure=child.allowFailure, allow_warning=child.allowWarning), out.effects


def _child_run(overlay: Overlay, wd_run: TaskRun, child: Task, now: datetime) -> TaskRun:
    """The child's task run as the engine records it (same id; one more attempt than before)."""
    run_id = child_run_id(wd_run.execution_id, wd_run.id, child.id)
    earlier = overlay.maybe_run(run_id)
    attempts = (*(earlier.attempts if earlier else ()), Attempt(state=State.RUNNING, started=now))
    scratch = replace(LoopPosition.of(wd_run), loop=()).into({})  # its values and item, not its Loop chain
    return TaskRun(
        id=run_id, execution_id=wd_run.execution_id, task_id=child.id, parent_id=wd_run.id, branch="tasks",
        value=wd_run.value, state=State.RUNNING, histories=(StateEntry(state=State.RUNNING, date=now),),
        attempts=attempts, scratch=scratch,
    )


def _should_run(group: WorkerJob, overlay: Overlay, run: TaskRun, child: Task) -> bool:
    condition = child.run_condition()
    if condition is None:
        return True
    if isinstance(condition, bool):
        return condition
    cwctx, _ = group.child_context(overlay, run, child, len(run.attempts))
    try:
        return truthy(cwctx.render(condition))
    except (TaskFailed, ExpressionError) as exc:
        raise TaskFailed(f"task '{child.id}' runIf: {exc}") from None


def _runner_default(task: WorkingDirectory) -> Any:
    if task.taskRunner is None:
        return None
    try:
        return _RUNNER_SPEC.validate_python(task.taskRunner)
    except ValidationError as exc:
        raise TaskFailed(f"property 'taskRunner': {exc.errors()[0].get('msg', 'invalid value')}") from None


def _stage(group: WorkerJob, task: WorkingDirectory, workdir: Path) -> None:
    wctx = group.wctx
    if task.inputFiles is not None:
        files.stage_inputs(workdir, files.input_files_map(wctx.render(task.inputFiles)), wctx.storage,
                           wctx.execution.namespace)
    spec = task.namespaceFiles
    if spec is not None and spec.enabled:
        count = files.stage_namespace_files(
            workdir, wctx.storage, spec.namespaces or [wctx.execution.namespace], spec.include, spec.exclude,
            spec.folderPerNamespace, overwrite=spec.ifExists == "OVERWRITE",
        )
        wctx.logger.debug(f"{count} namespace file(s) copied into the working directory")


def _collect(group: WorkerJob, task: WorkingDirectory, workdir: Path) -> dict[str, Any]:
    if not task.outputFiles:
        return {}
    wctx = group.wctx
    patterns = _patterns(wctx.render(task.outputFiles))
    run = wctx.task_run
    prefix = task_run_prefix(wctx.execution.namespace, wctx.execution.flow_id, wctx.execution.id, run.task_id, run.id)
    return {"outputFiles": files.collect_outputs(workdir, patterns, None, set(), wctx.storage, prefix)}


def _patterns(rendered: Any) -> list[str]:
    if isinstance(rendered, str):
        try:
            rendered = json.loads(rendered)
        except ValueError:
            rendered = [rendered]
    if not isinstance(rendered, list):
        raise TaskFailed("property 'outputFiles' must be a list of glob patterns")
    return [str(p) for p in rendered]
