"""Operator actions on an execution: kill, resume, restart, forcing a task run's state, setting labels."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from legato.engine import commands as cmd
from legato.engine import ending, flowables, lifecycle
from legato.engine import events as ev
from legato.engine.phases import ExecutionNotes, LoopCounters, Phases, RunPhase
from legato.engine.step import Step
from legato.model import flowable as fl
from legato.model import state as st
from legato.model.execution import Label, TaskRun
from legato.model.flowable_worker import ForEachItem, WorkerFlowable, WorkingDirectory
from legato.model.state import State

KILL_GRACE = timedelta(seconds=5)


def on_kill_requested(step: Step, event: ev.KillRequested) -> None:
    if step.w.execution.state in st.TERMINAL or step.w.execution.state == State.KILLING:
        return
    step.w.execution_state(State.KILLING)
    _stop_active(step, wait_for_workers=True)
    if step.w.runs_in_states([State.KILLING]):
        # A worker that is alive stops its task in well under this; a dead one never answers.
        step.w.command(cmd.ScheduleTimer(at=step.w.now + KILL_GRACE, timer="kill"))
    ending.maybe_finish_kill(step)


def on_kill_deadline(step: Step) -> None:
    """The grace period of a kill is over: attempts no worker confirmed stopping count as killed."""
    if step.w.execution.state != State.KILLING:
        return
    for run in step.w.runs_in_states([State.KILLING]):
        step.w.log(run.id, "WARN", f"No worker confirmed that '{run.task_id}' stopped; it is marked KILLED")
        step.w.put(run.with_state(State.KILLED, step.w.now))
    ending.maybe_finish_kill(step)


def on_sla_deadline(step: Step) -> None:
    """A MAX_DURATION deadline came: each such SLA the running execution has outlived is breached; FAIL and
    CANCEL stop its tasks (on workers too) and end it at once."""
    execution = step.w.execution
    if execution.state in st.TERMINAL:
        return
    started = next((h.date for h in execution.histories if h.state == State.RUNNING), execution.created)
    for sla in step.flow.sla or ():
        if sla.type != "MAX_DURATION" or sla.duration is None or sla.id in ExecutionNotes.of(execution).sla_breached:
            continue
        if step.w.now - started >= sla.duration:
            message = f"SLA '{sla.id}' breached: the execution ran longer than {sla.duration}"
            state = ending.breach_sla(step, sla)
            if state is None:
                step.w.log(None, "WARN", message)
                continue
            _stop_active(step, wait_for_workers=False)
            ending.end(step, state, reason=message)
            return


def stop_all(step: Step, *, exit_state: State, exit_run: TaskRun | None = None) -> None:
    """End the execution now in `exit_state` (the Exit task). As in Kestra, only KILLED stops the tasks
    still running on workers; with any other state they run to their end (their results are recorded)."""
    # As Kestra's Exit does, the Exit task run and every flowable above it end in the exit state itself.
    run = exit_run
    while run is not None:
        step.w.put(run.with_state(exit_state, step.w.now))
        run = step.w.run(run.parent_id) if run.parent_id else None
    _stop_active(step, wait_for_workers=False, spare_workers=exit_state != State.KILLED)
    ending.end(step, exit_state, reason=None)


def _stop_active(step: Step, *, wait_for_workers: bool, spare_workers: bool = False) -> None:
    """Stop every active task run: jobs are cancelled on their workers, timers dropped, children killed.
    With `spare_workers`, attempts running on workers are left to finish."""
    children = False
    for run in step.w.runs_in_states(st.ACTIVE):
        task = step.task(run)
        on_worker = (not task.FLOWABLE or isinstance(task, WorkerFlowable)) and run.state in (State.RUNNING, State.RESUBMITTED, State.CREATED) and run.attempts
        if on_worker and spare_workers:
            continue
        if on_worker:
            step.w.command(cmd.CancelJob(task_run_id=run.id))
        if run.state in (State.RETRYING, State.PAUSED) or isinstance(task, fl.LoopUntil):
            step.w.command(cmd.CancelTimers(task_run_id=run.id))
        children = children or isinstance(task, fl.Subflow | ForEachItem)
        step.w.put(run.with_state(State.KILLING if on_worker and wait_for_workers else State.KILLED, step.w.now))
    if children:
        step.w.command(cmd.KillChildren(execution_id=step.w.execution.id))


def on_labels_set(step: Step, event: ev.LabelsSet) -> None:
    """Labels change in any state: they describe the execution, they do not steer it."""
    execution = step.w.execution
    labels = {lb.key: lb.value for lb in execution.labels} | event.labels
    step.w.set_execution(execution.model_copy(update={"labels": tuple(Label(key=k, value=v) for k, v in labels.items())}))


def on_pause_requested(step: Step, event: ev.PauseRequested) -> None:
    """Pause a RUNNING execution (Kestra's pause action): attempts on workers run to their end and their
    results are recorded, but every task that would start is held back until the execution is resumed."""
    if step.w.execution.state != State.RUNNING:
        return
    step.w.execution_state(State.PAUSED)
    step.w.set_phases(held=True)


def on_resume_requested(step: Step, event: ev.ResumeRequested) -> None:
    if step.w.execution.state in st.TERMINAL:
        return
    if step.w.phases.held:
        _release_held(step)
    paused = [r for r in step.w.runs_in_states([State.PAUSED])
              if event.task_run_id is None or r.id == event.task_run_id]
    for run in paused:
        lifecycle.propagate(step, flowables.resume_pause(step, step.w.run(run.id), dict(event.inputs)))


def _release_held(step: Step) -> None:
    """End an operator's pause: start the tasks held back meanwhile."""
    step.w.set_phases(held=False)
    if not step.w.runs_in_states([State.PAUSED]):
        step.w.execution_state(State.RUNNING)
    for run in step.w.runs_in_states([State.CREATED]):
        task = step.task(run)
        # a CREATED WorkingDirectory/ForEachItem always waits for its (next) job; a runnable task waits for its
        # first one, or for the next after a retry or a lost worker met the hold
        if isinstance(task, WorkerFlowable) or (not task.FLOWABLE and _held_back(run)):
            step.dispatch(run, task)


def _held_back(run: TaskRun) -> bool:
    return not run.attempts or run.attempts[-1].state in st.TERMINAL | {State.RESUBMITTED}


def on_restart_requested(step: Step, event: ev.RestartRequested) -> None:
    """Re-run the failed tasks of a failed (or killed) execution in the same execution, next attempt."""
    if step.w.execution.state not in (State.FAILED, State.KILLED):
        return
    # a ForEachItem's phase runs (branch "parts") restart with their ForEachItem
    failed = [r for r in step.w.runs_in_states([State.FAILED, State.KILLED]) if not _in_error_branch(step, r)
              and not _in_working_directory(step, r) and r.branch != "parts"]
    leaves = [r for r in failed if not any(o.parent_id == r.id for o in failed)]
    if not leaves:
        return
    _reopen(step, leaves)
    for leaf in leaves:
        run = step.w.run(leaf.id).with_state(State.RESTARTED, step.w.now)
        task = step.task(run)
        if task.FLOWABLE:
            step.w.put(run.model_copy(update={"scratch": {}, "error": None}))
            lifecycle.propagate(step, flowables.enter(step, step.w.run(run.id).with_state(State.RUNNING, step.w.now), task))
        else:
            step.dispatch(run.model_copy(update={"error": None}), task)


def on_replay_requested(step: Step, event: ev.ReplayRequested) -> None:
    """Copy the runs that came before the replay point, then run again from it."""
    if step.w.execution.state != State.CREATED:
        return
    for run in event.task_runs:
        step.w.put(run)
    start = step.w.run(event.from_task_run_id)
    _reopen(step, [start], restarted=False)
    task = step.task(start)
    run = start.model_copy(update={"error": None, "outputs": {}, "scratch": {}})
    if task.FLOWABLE:
        step.w.put(run)
        lifecycle.propagate(step, flowables.enter(step, run.with_state(State.RUNNING, step.w.now), task))
    else:
        step.dispatch(run, task)


def on_task_run_state_changed(step: Step, event: ev.TaskRunStateChanged) -> None:
    """An operator sets a finished task run's state; the execution carries on from there."""
    run = step.w.maybe_run(event.task_run_id)
    if run is None or run.state not in st.TERMINAL or event.state not in st.TERMINAL or run.state == event.state:
        return
    if step.w.execution.state in st.TERMINAL:
        _reopen(step, [run])
    elif run.parent_id is not None and step.w.run(run.parent_id).state in st.TERMINAL:
        return
    changed = step.w.put(step.w.run(run.id).with_state(event.state, step.w.now))
    step.w.log(run.id, "WARN", f"State of '{run.task_id}' changed from {run.state} to {event.state} by an operator")
    lifecycle.propagate(step, changed)


def _in_working_directory(step: Step, run: TaskRun) -> bool:
    """Children of a WorkingDirectory restart with it (their directory is gone), never alone."""
    return run.parent_id is not None and isinstance(step.task(step.w.run(run.parent_id)), WorkingDirectory)


def _in_error_branch(step: Step, run: TaskRun) -> bool:
    while True:
        if run.branch in ("errors", "finally", "afterExecution"):
            return True
        if run.parent_id is None:
            return False
        run = step.w.run(run.parent_id)


def _reopen(step: Step, runs: list[TaskRun], *, restarted: bool = True) -> None:
    """Put the execution and the ancestors of `runs` back in RUNNING so their results flow up again."""
    execution = step.w.execution
    scratch = Phases().into(execution.scratch)  # the phases start over
    execution = execution.model_copy(update={
        "restarts": execution.restarts + int(restarted), "outputs": None, "error": None, "ended": None,
        "scratch": scratch,
    })
    step.w.set_execution(execution.with_state(State.RESTARTED, step.w.now) if restarted else execution)
    step.w.execution_state(State.RUNNING)
    reopened: set[tuple[str, int | None]] = set()
    for run in runs:
        child = run
        while child.parent_id is not None:
            parent = step.w.run(child.parent_id)
            key = (parent.id, child.iteration)
            if key in reopened:
                break
            reopened.add(key)
            sc = replace(RunPhase.of(parent), main=None).into(parent.scratch)
            if isinstance(step.task(parent), fl.Looping) and parent.state in st.TERMINAL | {State.RUNNING}:
                counters = LoopCounters.of(parent)
                sc = replace(counters, running=counters.running + 1, failed=False).into(sc)
            step.w.put(parent.model_copy(update={"scratch": sc, "error": None}).with_state(State.RUNNING, step.w.now))
            child = parent
