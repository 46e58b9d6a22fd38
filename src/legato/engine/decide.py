"""decide(): one event in, the changes and commands it causes out. No I/O, no clock, no randomness.

Each event type has one handler, chosen by an exhaustive `match`; an unknown event raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, assert_never

from legato import secrets_env
from legato.engine import commands as cmd
from legato.engine import ending, flowables, lifecycle, operations, retry, worker_flowables
from legato.engine import events as ev
from legato.engine.phases import ExecutionNotes
from legato.engine.step import Step
from legato.engine.view import ExecutionView
from legato.engine.working import Working
from legato.expressions import Renderer
from legato.model import state as st
from legato.model.execution import Attempt, Execution, Label, TaskRun
from legato.model.flowable import LoopUntil, Pause, Subflow
from legato.model.flowable_worker import ForEachItem, WorkerFlowable
from legato.model.state import State
from legato.model.task import Retry
from legato.model.taskfield import deep_merge

if TYPE_CHECKING:
    from legato.model.flow import Flow

# A task whose worker is lost this many times in a row fails instead of going to yet another worker: it may be
# what crashes them (a native crash, memory exhausted), and resubmitting it would take the workers down one by one.
MAX_LOST_IN_A_ROW = 5


class Engine:
    """The executor's pure core. Holds only configuration: the renderer and the expression functions
    available to flowable properties (the executor injects I/O-backed ones such as kv)."""

    def __init__(self, renderer: Renderer | None = None, functions: Mapping[str, Callable[..., Any]] | None = None):
        self.renderer = renderer or Renderer(functions=secrets_env.FUNCTIONS)
        self.functions = dict(functions or {})

    def decide(self, flow: Flow, view: ExecutionView, event: ev.EngineEvent, now: datetime, *,
               functions: Mapping[str, Callable[..., Any]] | None = None) -> cmd.Decision:
        """The decision `event` leads to for the execution in `view`; `functions` adds expression
        functions bound to this execution (the executor's kv, errorLogs)."""
        step = Step(flow, Working(view, now), self.renderer, {**self.functions, **(functions or {})})
        _dispatch(step, event)
        return step.w.decision


def _dispatch(step: Step, event: ev.EngineEvent) -> None:
    """One handler per event type; the match is exhaustive (mypy checks it) and an unknown event raises."""
    match event:
        case ev.ExecutionCreated():
            lifecycle.on_execution_created(step, event)
        case ev.ExecutionDequeued():
            lifecycle.on_execution_dequeued(step, event)
        case ev.TaskStarted():
            _on_task_started(step, event)
        case ev.TaskResult():
            _on_task_result(step, event)
        case ev.JobLost():
            _on_job_lost(step, event)
        case ev.JobCancelled():
            _on_job_cancelled(step, event)
        case ev.TimerFired():
            _on_timer_fired(step, event)
        case ev.SubflowCreated():
            _on_subflow_created(step, event)
        case ev.ChildExecutionEnded():
            _on_child_execution_ended(step, event)
        case ev.WorkChildStarted():
            worker_flowables.on_child_started(step, event)
        case ev.WorkChildEnded():
            _on_work_child_ended(step, event)
        case ev.KillRequested():
            operations.on_kill_requested(step, event)
        case ev.PauseRequested():
            operations.on_pause_requested(step, event)
        case ev.ResumeRequested():
            operations.on_resume_requested(step, event)
        case ev.RestartRequested():
            operations.on_restart_requested(step, event)
        case ev.ReplayRequested():
            operations.on_replay_requested(step, event)
        case ev.TaskRunStateChanged():
            operations.on_task_run_state_changed(step, event)
        case ev.LabelsSet():
            operations.on_labels_set(step, event)
        case _:
            assert_never(event)


def _current(step: Step, task_run_id: str, attempt: int | None = None) -> TaskRun | None:
    """The task run an event is about, or None when the event is stale (ended run, older attempt)."""
    run = step.w.maybe_run(task_run_id)
    if run is None or step.w.execution.state in st.TERMINAL:
        return None
    if attempt is not None and attempt != len(run.attempts):
        return None
    return run


def _set_attempt(run: TaskRun, **changes: Any) -> TaskRun:
    last = run.attempts[-1].model_copy(update=changes)
    return run.model_copy(update={"attempts": (*run.attempts[:-1], last)})


def _on_task_started(step: Step, event: ev.TaskStarted) -> None:
    run = _current(step, event.task_run_id, event.attempt)
    if run is None or run.state in st.TERMINAL:
        return
    run = _set_attempt(run, state=State.RUNNING, started=step.w.now, worker_id=event.worker_id)
    step.w.put(run.with_state(State.RUNNING, step.w.now) if run.state != State.KILLING else run)


def _on_task_result(step: Step, event: ev.TaskResult) -> None:
    if step.w.execution.state in st.TERMINAL:
        _record_late_result(step, event)
        return
    run = _current(step, event.task_run_id, event.attempt)
    if run is None or run.state in st.TERMINAL:
        return
    run = _set_attempt(run, state=event.state, started=event.started or run.attempts[-1].started,
                       ended=event.ended or step.w.now, worker_id=event.worker_id,
                       runner=event.runner or run.attempts[-1].runner)
    update: dict[str, Any] = {"outputs": {**run.outputs, **event.outputs}}
    if event.metrics:
        update["metrics"] = [*run.metrics, *event.metrics]
    run = step.w.put(run.model_copy(update=update))
    if run.state == State.KILLING or step.killing:
        step.w.put(run.with_state(State.KILLED, step.w.now))
        ending.maybe_finish_kill(step)
        return
    if event.effects is not None:
        _apply_effects(step, event.effects)
    task = step.task(run)
    # the policy matters only to a failed attempt and to a success after retries (reading it walks the parents)
    policy = retry.policy_for(step, run) if event.state == State.FAILED or len(run.attempts) > 1 else None
    if event.state == State.FAILED and policy is not None and _retried(step, run, policy):
        return
    if event.state == State.SUCCESS and event.effects is not None and event.effects.exit_state is not None:
        operations.stop_all(step, exit_state=event.effects.exit_state, exit_run=run)
        return
    state = event.state
    if state == State.SUCCESS and len(run.attempts) > 1 and policy is not None and policy.warningOnRetry:
        state = State.WARNING
    if isinstance(task, WorkerFlowable):
        run = worker_flowables.job_ended(step, run, task, state, event.error)
    else:
        run = step.finish(run, state, error=event.error)
    lifecycle.propagate(step, run)


def _record_late_result(step: Step, event: ev.TaskResult) -> None:
    """An attempt the execution's end left running (Exit with a state other than KILLED) has finished:
    its run records how it ended; nothing else moves."""
    run = step.w.maybe_run(event.task_run_id)
    if run is None or run.state in st.TERMINAL or event.attempt != len(run.attempts):
        return
    run = _set_attempt(run, state=event.state, started=event.started, ended=event.ended or step.w.now,
                       worker_id=event.worker_id)
    step.w.put(run.model_copy(update={"outputs": {**run.outputs, **event.outputs}, "error": event.error})
               .with_state(event.state, step.w.now))


def _retried(step: Step, run: TaskRun, policy: Retry) -> bool:
    """Retry the failed `run` as `policy` says, when it allows another attempt: a new attempt of the task, or
    (CREATE_NEW_EXECUTION) a new execution, this one ending RETRIED with the run and its parents."""
    if policy.behavior == "RETRY_FAILED_TASK":
        return retry.schedule_attempt(step, run, policy)
    if ExecutionNotes.of(step.w.execution).failure or not retry.new_execution_asked(step, run, policy):
        return False
    operations.stop_all(step, exit_state=State.RETRIED, exit_run=run)
    return True


def _apply_effects(step: Step, effects: ev.Effects) -> None:
    changed = with_effects(step.w.execution, effects)
    if changed is not step.w.execution:
        step.w.set_execution(changed)


def with_effects(execution: Execution, effects: ev.Effects) -> Execution:
    """The execution with a task's effects on labels and variables applied (itself when there are none)."""
    update: dict[str, Any] = {}
    if effects.labels:
        labels = {lb.key: lb.value for lb in execution.labels} | effects.labels
        update["labels"] = tuple(Label(key=k, value=v) for k, v in labels.items())
    if effects.set_variables or effects.unset_variables:
        variables = deep_merge(execution.variables, effects.set_variables or {})
        for path in effects.unset_variables or []:
            _unset(variables, path.split("."))
        update["variables"] = variables
    return execution.model_copy(update=update) if update else execution



def _unset(variables: dict[str, Any], path: list[str]) -> None:
    """Remove a (dotted) variable, copying the maps on the way so earlier rows stay untouched."""
    node = variables
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            return
        node[key] = node = dict(child)
    node.pop(path[-1], None)


def _on_job_lost(step: Step, event: ev.JobLost) -> None:
    run = _current(step, event.task_run_id, event.attempt)
    if run is None or run.state in st.TERMINAL:
        return
    if run.state == State.KILLING or step.killing:
        step.w.put(_set_attempt(run, state=State.KILLED, ended=step.w.now).with_state(State.KILLED, step.w.now))
        ending.maybe_finish_kill(step)
        return
    lost = 1 + _lost_in_a_row(run.attempts[:-1])
    if lost >= MAX_LOST_IN_A_ROW:  # a task that crashes or exhausts every worker it lands on: stop the round
        _on_task_result(step, ev.TaskResult(
            task_run_id=run.id, attempt=event.attempt, state=State.FAILED,
            error=f"The worker running '{run.task_id}' was lost {lost} times in a row (attempts "
                  f"{event.attempt - lost + 1} to {event.attempt}); the task is not resubmitted again: it may crash "
                  f"or exhaust the worker (memory, a native crash). Check the workers' logs."))
        return
    run = step.w.put(_set_attempt(run, state=State.RESUBMITTED, ended=step.w.now))
    step.w.log(run.id, "WARN", f"The worker running attempt {event.attempt} of '{run.task_id}' was lost; resubmitting")
    step.dispatch(run, step.task(run), State.RESUBMITTED)


def _lost_in_a_row(attempts: tuple[Attempt, ...]) -> int:
    """How many of the last attempts ended because their worker was lost."""
    count = 0
    for attempt in reversed(attempts):
        if attempt.state != State.RESUBMITTED:
            break
        count += 1
    return count


def _on_job_cancelled(step: Step, event: ev.JobCancelled) -> None:
    run = _current(step, event.task_run_id)
    if run is not None and run.state == State.KILLING:
        step.w.put(_set_attempt(run, state=State.KILLED).with_state(State.KILLED, step.w.now))
        ending.maybe_finish_kill(step)


def _on_timer_fired(step: Step, event: ev.TimerFired) -> None:
    match event.timer:
        case "start":
            if step.w.execution.state == State.CREATED:
                lifecycle.start_execution(step)
        case "kill":
            operations.on_kill_deadline(step)
        case "sla":
            operations.on_sla_deadline(step)
        case "retry" | "pause" | "loop":
            run = _current(step, event.task_run_id) if event.task_run_id else None
            if run is not None and not step.killing:
                _on_run_timer(step, run, event.timer)
        case _:
            assert_never(event.timer)


def _on_run_timer(step: Step, run: TaskRun, timer: Literal["retry", "pause", "loop"]) -> None:
    """A task run's own timer: its next retry, its Pause's end, its LoopUntil's next check."""
    task = step.task(run)
    match timer:
        case "retry":
            if run.state != State.RETRYING:
                return
            if isinstance(task, Subflow):
                lifecycle.propagate(step, flowables.subflow_attempt(step, run, task))
            else:
                step.dispatch(run, task)
        case "pause":
            if run.state != State.PAUSED:
                return
            assert isinstance(task, Pause)
            outcome = {"RESUME": State.SUCCESS, "WARN": State.WARNING, "FAIL": State.FAILED,
                       "CANCEL": State.KILLED}[task.expiry()]
            lifecycle.propagate(step, flowables.resume_pause(step, run, {}, outcome))
        case "loop":
            if isinstance(task, LoopUntil):
                lifecycle.propagate(step, flowables.loop_until_next(step, run))
        case _:
            assert_never(timer)


def _on_subflow_created(step: Step, event: ev.SubflowCreated) -> None:
    run = _current(step, event.task_run_id)
    if run is not None and run.state == State.RUNNING:
        task = step.task(run)
        if isinstance(task, ForEachItem):
            lifecycle.propagate(step, worker_flowables.batch_created(step, run, task, event.error))
            return
        lifecycle.propagate(step, flowables.subflow_created(step, run, event.child_execution_id, event.error))


def _on_child_execution_ended(step: Step, event: ev.ChildExecutionEnded) -> None:
    run = _current(step, event.task_run_id)
    if run is not None and run.state == State.RUNNING:
        task = step.task(run)
        if isinstance(task, ForEachItem):
            lifecycle.propagate(step, worker_flowables.batch_ended(step, run, task, event.state))
            return
        assert isinstance(task, Subflow)
        run, state = flowables.subflow_attempt_ended(step, run, task, event.state, event.outputs, event.outputs_error)
        policy = retry.policy_for(step, run) if state == State.FAILED else None
        if policy is not None and _retried(step, run, policy):
            return
        lifecycle.propagate(step, flowables.subflow_ended(step, run, task, state))


def _on_work_child_ended(step: Step, event: ev.WorkChildEnded) -> None:
    if worker_flowables.on_child_ended(step, event) and event.effects is not None:
        _apply_effects(step, event.effects)
