"""The execution's own life: starting it (or queueing it behind its flow's concurrency limit) and walking a
finished task run's result up to its parents; how it ends is `ending`."""

from __future__ import annotations

from legato.engine import commands as cmd
from legato.engine import ending, flowables
from legato.engine import events as ev
from legato.engine.phases import ExecutionNotes
from legato.engine.step import Step
from legato.model import state as st
from legato.model.execution import TaskRun
from legato.model.state import State

_CHECK_LEVELS = {"ERROR": "ERROR", "WARNING": "WARN", "INFO": "INFO", "SUCCESS": "INFO"}


def on_execution_created(step: Step, event: ev.ExecutionCreated) -> None:
    execution = step.w.execution
    if execution.state != State.CREATED:
        return  # already handled: events are applied at most once in effect
    notes = ExecutionNotes.of(execution)
    for check in notes.checks:  # the flow's checks that did not hold (not blocking)
        step.w.log(None, _CHECK_LEVELS.get(check["style"], "INFO"), f"check: {check['message']}")
    if notes.failure:
        ending.end(step, State.FAILED, reason=notes.failure)
        return
    if execution.scheduled_at is not None and execution.scheduled_at > step.w.now:
        step.w.command(cmd.ScheduleTimer(at=execution.scheduled_at, timer="start"))
        return
    limit = step.flow.concurrency
    if limit is not None and event.running_of_flow >= limit.limit:
        match limit.behavior:
            case "QUEUE":
                step.w.execution_state(State.QUEUED)
            case "CANCEL":
                ending.end(step, State.CANCELLED, reason="the flow's concurrency limit is reached")
            case "FAIL":
                ending.end(step, State.FAILED, reason="the flow's concurrency limit is reached")
        return
    start_execution(step)


def on_execution_dequeued(step: Step, event: ev.ExecutionDequeued) -> None:
    if step.w.execution.state == State.QUEUED:
        start_execution(step)


def start_execution(step: Step) -> None:
    step.w.execution_state(State.RUNNING)
    for sla in step.flow.sla or ():
        if sla.type == "MAX_DURATION" and sla.duration is not None:  # checked when its deadline comes
            step.w.command(cmd.ScheduleTimer(at=step.w.now + sla.duration, timer="sla", nonce=sla.id))
    state = step.seq_from(None, "tasks", None, 0)
    if state is not None:
        ending.root_list_ended(step, "tasks", state)


def propagate(step: Step, run: TaskRun) -> None:
    """`run` ended: let its parent (and, as they end, their parents) move on."""
    while run.state in st.TERMINAL:
        if step.w.execution.state in st.TERMINAL:
            return
        if run.parent_id is None:
            state = step.seq_advance(None, run)
            if state is not None:
                ending.root_list_ended(step, run.branch, state)
            return
        parent = step.w.run(run.parent_id)
        if parent.state in st.TERMINAL:
            return
        run = flowables.child_ended(step, parent, run)
    ending.maybe_finish_kill(step)
