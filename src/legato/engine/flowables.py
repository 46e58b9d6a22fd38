"""What each flowable task does with its children. `enter` starts a flowable's run; `child_ended` reacts
to one child's end. Both return the flowable's run, terminal once it is done. Local `errors` and
`finally` branches are handled here for every flowable alike."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from legato.engine import commands as cmd
from legato.engine import loops, start
from legato.engine.phases import LoopCounters, RunPhase
from legato.engine.step import Step
from legato.expressions import ExpressionError
from legato.model import durations
from legato.model import flowable as fl
from legato.model import state as st
from legato.model.execution import Attempt, TaskRun
from legato.model.flowable_worker import WorkerFlowable
from legato.model.state import State
from legato.model.task import Task

MAX_LOOP_ITEMS = 1_000_000


def enter(step: Step, run: TaskRun, task: Task) -> TaskRun:
    state = _enter_main(step, run, task)
    return _after_main(step, step.w.run(run.id), task, state) if state is not None else step.w.run(run.id)


def child_ended(step: Step, parent: TaskRun, child: TaskRun) -> TaskRun:
    task = step.task(parent)
    if child.branch in ("errors", "finally"):
        state = step.seq_advance(parent, child)
        if state is None:
            return step.w.run(parent.id)
        if child.branch == "errors":
            return _to_finally(step, step.w.run(parent.id), task)
        return _complete(step, step.w.run(parent.id), task, finally_state=state)
    main = _main_child_ended(step, parent, task, child)
    return _after_main(step, step.w.run(parent.id), task, main) if main is not None else step.w.run(parent.id)


# phases ----------------------------------------------------------------------------
def after_main(step: Step, run: TaskRun, task: Task, main: State) -> TaskRun:
    """The main children of `run` ended with `main`: run the local errors/finally, then end it."""
    return _after_main(step, run, task, main)


def _after_main(step: Step, run: TaskRun, task: Task, main: State) -> TaskRun:
    failed = main in st.FAILURE
    if isinstance(task, fl.AllowFailure) and main == State.FAILED:
        main = State.WARNING  # its errors branch still runs, as in Kestra
    run = step.w.put(replace(RunPhase.of(run), main=main).on(run))
    errors = task.branches().get("errors")
    if failed and errors and not step.killing:
        state = step.seq_from(run, "errors", None, 0)
        if state is None:
            return step.w.run(run.id)
    return _to_finally(step, step.w.run(run.id), task)


def _to_finally(step: Step, run: TaskRun, task: Task) -> TaskRun:
    finally_state = None
    if task.branches().get("finally"):
        finally_state = step.seq_from(run, "finally", None, 0)
        if finally_state is None:
            return step.w.run(run.id)
    return _complete(step, step.w.run(run.id), task, finally_state)


def _complete(step: Step, run: TaskRun, task: Task, finally_state: State | None) -> TaskRun:
    main = RunPhase.of(run).main or State.SUCCESS
    final = main if main in st.FAILURE else st.worst([main, finally_state or State.SUCCESS])
    if step.killing:
        final = State.KILLED
    return step.finish(run, final)


# main children -----------------------------------------------------------------------
def _enter_main(step: Step, run: TaskRun, task: Task) -> State | None:
    match task:
        case fl.Sequential() | fl.AllowFailure():
            return step.seq_from(run, "tasks", None, 0)
        case fl.If():
            branch = "then" if step.condition(task.condition, run) else "else"
            step.w.put(run.model_copy(update={"outputs": {"condition": branch == "then"}}))
            return step.seq_from(step.w.run(run.id), branch, None, 0) if task.branches().get(branch) else State.SUCCESS
        case fl.Switch():
            value = step.render_text(task.value, run)
            branch = f"cases.{value}" if value in task.cases else "defaults"
            if branch == "defaults" and not task.defaults:  # as Kestra: nothing to run is a failure
                raise ExpressionError(f"Switch '{task.id}': no case matches the value {value!r} and there are no defaults")
            step.w.put(run.model_copy(update={"outputs": {"value": value, "defaults": branch == "defaults"}}))
            return step.seq_from(step.w.run(run.id), branch, None, 0) if task.branches().get(branch) else State.SUCCESS
        case fl.Parallel() | fl.Dag():
            return _fill_parallel(step, run, task)
        case fl.Looping():
            return _enter_loop(step, run, task)
        case fl.LoopUntil():
            return _start_pass(step, run, 0)
        case fl.Pause():
            return _enter_pause(step, run, task)
        case fl.Subflow():
            return _enter_subflow(step, run, task)
        case WorkerFlowable():
            from legato.engine import worker_flowables  # it builds on this module's phases

            return worker_flowables.enter(step, run, task)
    raise AssertionError(f"no engine handler for flowable {type(task).__name__}")


def _main_child_ended(step: Step, parent: TaskRun, task: Task, child: TaskRun) -> State | None:
    match task:
        case fl.Parallel() | fl.Dag():
            return _fill_parallel(step, parent, task)
        case fl.Looping():
            state = step.seq_advance(parent, child)
            if state is None:
                return None
            return _iteration_done(step, parent, task, state, child.iteration or 0)
        case fl.LoopUntil():
            state = step.seq_advance(parent, child)
            return None if state is None else loop_until_iteration_done(step, parent, task, child.iteration or 0, state)
        case _:
            return step.seq_advance(parent, child)


# parallel and dag ---------------------------------------------------------------------
def _fill_parallel(step: Step, run: TaskRun, task: fl.Parallel | fl.Dag) -> State | None:
    """Start every child that may start now; the children's overall state once none is left running."""
    tasks = step.branch_tasks(run, "tasks")
    enabled = {t.id for t in tasks}
    # A dependency on a disabled task is no dependency: that task does not exist for this execution.
    deps = {k: [d for d in v if d in enabled] for k, v in task.dependencies().items()} if isinstance(task, fl.Dag) else {}
    while True:
        runs = {r.task_id: r for r in step.w.scope(run.id, "tasks", None)}
        failed = any(r.state in st.FAILURE for r in runs.values())
        active = sum(1 for r in runs.values() if r.state not in st.TERMINAL)
        ready = [] if failed or step.killing else [
            t for t in tasks if t.id not in runs
            and all(d in runs and runs[d].state in st.SUCCESSFUL for d in deps.get(t.id, []))
        ]
        if task.concurrent:
            ready = ready[: max(task.concurrent - active, 0)]
        if not ready:
            if active:
                return None
            if not failed and len(runs) < len(tasks) and not step.killing:
                return State.FAILED  # a Dag whose remaining tasks wait on skipped or failed ones
            return step.scope_state(run.id, "tasks", None)
        step.expect_starts(ready, run, "tasks", [None])
        for t in ready:
            step.start(t, run, "tasks")


# loops -----------------------------------------------------------------------------------
def resolve_items(raw: Any) -> list[Any] | dict[str, Any]:
    """Loop values as Kestra accepts them: a list, a map, or text holding a JSON array/object."""
    if isinstance(raw, str):
        text = raw.strip()
        try:
            raw = json.loads(text) if text else []
        except json.JSONDecodeError as exc:
            raise ExpressionError(f"values must be a list or a JSON array, got {text[:80]!r}") from exc
    if isinstance(raw, tuple):
        raw = list(raw)
    if not isinstance(raw, list | dict):
        raise ExpressionError(f"values must be a list or a JSON array, got {type(raw).__name__}")
    if len(raw) > MAX_LOOP_ITEMS:
        raise ExpressionError(f"values has {len(raw)} items, more than the limit of {MAX_LOOP_ITEMS}")
    return raw


def _enter_loop(step: Step, run: TaskRun, task: fl.Looping) -> State | None:
    rendered = step.render(task.items_source(), run)
    from_file = isinstance(task, fl.Loop) and loops.is_uri(rendered)
    values = resolve_items(loops.items_from_file(step, rendered) if from_file else rendered)
    is_map = isinstance(values, dict)
    if isinstance(values, dict):
        if not isinstance(task, fl.Loop):
            raise ExpressionError("values must be a list (only Loop iterates over a map)")
        items: list[Any] = [{"key": k, "value": v} for k, v in values.items()]
    else:
        loops.check_no_null(task, values)
        items = values
    counters = LoopCounters(total=len(items), map_items=is_map, from_file=from_file)
    update: dict[str, Any] = {"scratch": counters.into(run.scratch)}
    if isinstance(task, fl.Loop):
        update["outputs"] = {**run.outputs, **loops.start_outputs(task, len(items))}
    step.w.put(run.model_copy(update=update))
    step.w.decision.items[run.id] = items
    return _fill_loop(step, run.id, task)


def _fill_loop(step: Step, run_id: str, task: fl.Looping) -> State | None:
    """Start the iterations there is room for, all before looking at how the first ones went (as Kestra starts
    a batch), then say how the loop ended once no iteration is left to run."""
    limit = task.limit()
    while True:
        run = step.w.run(run_id)
        sc = LoopCounters.of(run)
        if sc.failed or sc.broken or step.killing or sc.next >= sc.total:
            break
        room = (limit - sc.running) if limit else sc.total - sc.next
        batch = list(range(sc.next, min(sc.next + max(room, 0), sc.total)))
        if not batch:
            break
        step.w.put(replace(sc, next=batch[-1] + 1, running=sc.running + len(batch)).on(run))
        step.expect_starts(step.branch_tasks(run, "tasks")[:1], run, "tasks", batch)
        ended = []
        for index in batch:
            state = step.seq_from(step.w.run(run_id), "tasks", index, 0, loop=(step.w.item(run_id, index), index))
            if state is not None:
                ended.append((index, state))
        for index, state in ended:
            _count_iteration(step, run_id, state, index)
    sc = LoopCounters.of(step.w.run(run_id))
    if isinstance(task, fl.Loop):
        loops.running(step, run_id, sc.running)
    if sc.running:
        return None
    if sc.failed or step.killing:
        return State.KILLED if step.killing else State.FAILED
    return State.WARNING if sc.warned else State.SUCCESS


def _count_iteration(step: Step, run_id: str, state: State, index: int) -> None:
    task = step.task(step.w.run(run_id))
    broken = False
    if isinstance(task, fl.Loop):
        state, broken = loops.iteration_ended(step, step.w.run(run_id), task, index, state)
    run = step.w.run(run_id)
    sc = LoopCounters.of(run)
    transmits = not isinstance(task, fl.Loop) or task.transmitFailed
    step.w.put(replace(sc, running=sc.running - 1, failed=sc.failed or (state in st.FAILURE and transmits),
                       warned=sc.warned or state == State.WARNING, broken=sc.broken or broken).on(run))


def _iteration_done(step: Step, run: TaskRun, task: fl.Looping, state: State, index: int) -> State | None:
    _count_iteration(step, run.id, state, index)
    return _fill_loop(step, run.id, task)


def _start_pass(step: Step, run: TaskRun, index: int) -> State | None:
    """Start pass `index` (from 0) of a LoopUntil; `outputs.<id>.iterationCount` is its number from 1 while it
    runs, and the number of passes done once it ended (Kestra's WaitFor)."""
    run = step.w.put(run.model_copy(update={"outputs": {**run.outputs, "iterationCount": index + 1}}))
    return step.seq_from(run, "tasks", index, 0)


def loop_until_iteration_done(step: Step, run: TaskRun, task: fl.LoopUntil, iteration: int, state: State) -> State | None:
    """One LoopUntil pass ended: stop, or start the next pass now or after `checkFrequency.interval`."""
    if state in st.FAILURE:
        return state
    count = iteration + 1
    run = step.w.put(run.model_copy(update={"outputs": {**run.outputs, "iterationCount": count}}))
    if step.condition(task.condition, run):
        return State.SUCCESS
    freq = task.checkFrequency
    started = run.histories[0].date
    if (freq.maxIterations is not None and count >= freq.maxIterations) or (
        freq.maxDuration is not None and step.w.now - started >= freq.maxDuration
    ):
        step.w.log(run.id, "WARN", f"LoopUntil '{task.id}' stopped after {count} iterations without its condition being true")
        return State.FAILED if task.failOnMaxReached else State.SUCCESS
    if freq.interval.total_seconds() <= 0:
        return _start_pass(step, run, count)
    step.w.command(cmd.ScheduleTimer(at=step.w.now + freq.interval, timer="loop", task_run_id=run.id, nonce=str(count)))
    step.w.put(replace(RunPhase.of(run), waiting=count).on(run))
    return None


def loop_until_next(step: Step, run: TaskRun) -> TaskRun:
    """The loop timer fired: start the pass the LoopUntil waited for."""
    task = step.task(run)
    count = RunPhase.of(run).waiting
    if count is None or run.state in st.TERMINAL:
        return run
    run = step.w.put(replace(RunPhase.of(run), waiting=None).on(run))
    state = _start_pass(step, run, count)
    if state is None:
        return step.w.run(run.id)
    assert isinstance(task, fl.LoopUntil)
    main = loop_until_iteration_done(step, step.w.run(run.id), task, count, state)
    return _after_main(step, step.w.run(run.id), task, main) if main is not None else step.w.run(run.id)


# pause and subflow ---------------------------------------------------------------------------
def _enter_pause(step: Step, run: TaskRun, task: fl.Pause) -> State | None:
    try:  # a duration given as an expression is checked when the Pause starts
        wait = durations.resolve(task.wait(), lambda text: step.render_text(text, run))
    except ValueError as exc:
        raise ExpressionError(f"Pause '{task.id}': {exc}") from None
    step.w.put(run.with_state(State.PAUSED, step.w.now))
    if step.w.execution.state == State.RUNNING:
        step.w.execution_state(State.PAUSED)
    if wait is not None:
        step.w.command(cmd.ScheduleTimer(at=step.w.now + wait, timer="pause", task_run_id=run.id))
    return None


def resume_pause(step: Step, run: TaskRun, inputs: dict[str, Any], outcome: State = State.SUCCESS) -> TaskRun:
    """A paused run resumes (by request, or its duration elapsed): run its old-style tasks or end it."""
    task = step.task(run)
    assert isinstance(task, fl.Pause)
    step.w.command(cmd.CancelTimers(task_run_id=run.id))
    run = run.model_copy(update={"outputs": {**run.outputs, "onResume": inputs}})
    # an expiry that ends the task goes from PAUSED straight to its end, as in Kestra
    run = step.w.put(run if outcome != State.SUCCESS else run.with_state(State.RUNNING, step.w.now))
    if not step.w.runs_in_states([State.PAUSED]) and step.w.execution.state == State.PAUSED:
        step.w.execution_state(State.RUNNING)
    if outcome != State.SUCCESS:
        return _after_main(step, run, task, outcome)
    state = step.seq_from(run, "tasks", None, 0) if task.tasks else State.SUCCESS
    return _after_main(step, step.w.run(run.id), task, state) if state is not None else step.w.run(run.id)


def _enter_subflow(step: Step, run: TaskRun, task: fl.Subflow) -> State | None:
    subflow_attempt(step, run, task)
    return None


def subflow_attempt(step: Step, run: TaskRun, task: fl.Subflow) -> TaskRun:
    """Start the subflow execution of a new attempt of `run` (the first, or a retry: each has its own)."""
    attempt = Attempt(state=State.RUNNING, started=step.w.now)
    run = step.w.put(run.model_copy(update={"attempts": (*run.attempts, attempt)}).with_state(State.RUNNING, step.w.now))
    inputs = step.render(task.inputs, run)
    labels_raw = step.render(task.labels, run)
    labels = {str(d["key"]): str(d["value"]) for d in labels_raw} if isinstance(labels_raw, list) else \
        {str(k): str(v) for k, v in labels_raw.items()}
    inherited = {lb.key: lb.value for lb in step.w.execution.labels} if task.inheritLabels else \
        start.system_labels(step.w.execution)
    labels = {**inherited, **labels}
    step.w.command(cmd.CreateSubflow(
        task_run_id=run.id, namespace=str(step.render(task.namespace, run)), flow_id=str(step.render(task.flowId, run)),
        revision=task.revision, inputs=inputs, labels=labels, attempt=len(run.attempts), extract=task.outputs or None,
    ))
    if task.outputs and len(run.attempts) == 1:
        step.w.log(run.id, "WARN", f"Subflow '{task.id}': `outputs` on the task is deprecated since Kestra 0.15; "
                                   "declare them as the subflow's outputs (they are used when it has any)")
    return run


def subflow_created(step: Step, run: TaskRun, child_id: str | None, error: str | None) -> TaskRun:
    task = step.task(run)
    assert isinstance(task, fl.Subflow)
    if error is not None or child_id is None:
        return step.fail(run, error or "the subflow execution could not be created")
    run = step.w.put(run.model_copy(update={"outputs": {**run.outputs, "executionId": child_id}}))
    if not task.wait:
        return _after_main(step, run, task, State.SUCCESS)
    return run


def subflow_attempt_ended(step: Step, run: TaskRun, task: fl.Subflow, child_state: State,
                          outputs: dict[str, Any], outputs_error: str | None = None) -> tuple[TaskRun, State]:
    """The subflow execution of `run`'s current attempt ended in `child_state`: the run records it, and the
    state the task ends in (before a retry or allowFailure is considered). Outputs that could not be
    extracted (the deprecated Subflow.outputs) fail it, as in Kestra."""
    state = State.SUCCESS
    if child_state in st.FAILURE or child_state == State.CANCELLED:
        state = State.FAILED if task.transmitFailed else State.SUCCESS
    elif child_state == State.WARNING:
        state = State.WARNING
    if outputs_error is not None:
        step.w.log(run.id, "WARN", f"Failed to extract outputs with the error: '{outputs_error}'")
        state = State.FAILED
    attempts = run.attempts or (Attempt(state=State.RUNNING),)
    last = attempts[-1].model_copy(update={"state": state, "ended": step.w.now})
    run = step.w.put(run.model_copy(update={
        "outputs": {**run.outputs, "state": str(child_state), "outputs": outputs}, "attempts": (*attempts[:-1], last),
    }))
    return run, state


def subflow_ended(step: Step, run: TaskRun, task: fl.Subflow, state: State) -> TaskRun:
    """The Subflow task ends in `state` (its last attempt's)."""
    if state == State.FAILED:
        run = step.w.put(run.model_copy(update={
            "error": f"subflow execution {run.outputs.get('executionId')} ended {run.outputs.get('state')}"}))
    return _after_main(step, run, task, state)
