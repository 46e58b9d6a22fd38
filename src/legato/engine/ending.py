"""How an execution ends: the end-of-run rules in the order they apply.

1. Phases: `tasks`, then `errors` when `tasks` failed (unless it is being killed), then `finally`, then
   `afterExecution`; the state of `tasks` is kept as the main state, the state after `finally` as the final one.
2. The final state: a failed main state stands; otherwise the worst of main and `finally`; a kill makes it
   KILLED; a failed `afterExecution` turns a successful end FAILED.
3. The EXECUTION_ASSERTION SLAs of a run that ended by itself (not killed, cancelled or retried): a breach
   may make it FAILED or CANCELLED.
4. The flow outputs, rendered and converted to their declared types (one that cannot be fails the run).
5. The reason, the end date and the terminal state are recorded.
6. A parent Subflow task waiting for it is notified (its outputs, or the deprecated Subflow.outputs).
7. ExecutionEnded: the flow's concurrency slot is freed and flow triggers may fire.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from legato.engine import commands as cmd
from legato.engine.phases import ExecutionNotes
from legato.engine.step import Step
from legato.expressions import ExpressionError, to_text
from legato.model import inputs_parse as parse
from legato.model import state as st
from legato.model.execution import Label
from legato.model.flow import Sla
from legato.model.state import State


def root_list_ended(step: Step, phase: str, state: State) -> None:
    """The execution's own task list `phase` ended with `state`: start the next list, or end."""
    flow = step.flow
    if phase == "tasks":
        step.w.set_phases(main=state)
        if state in st.FAILURE and flow.branch("errors") and not step.killing:
            errors = step.seq_from(None, "errors", None, 0)
            if errors is None:
                return
        phase = "errors"
    if phase == "errors":
        if flow.branch("finally") and not step.killing:
            fin = step.seq_from(None, "finally", None, 0)
            if fin is None:
                return
            state = fin
        else:
            state = State.SUCCESS
        phase = "finally"
    if phase == "finally":
        main = step.w.phases.main or State.SUCCESS
        final = main if main in st.FAILURE else st.worst([main, state])
        if step.killing:
            final = State.KILLED
        step.w.set_phases(final=final)
        if flow.branch("afterExecution"):
            after = step.seq_from(None, "afterExecution", None, 0)
            if after is None:
                return
            state = after
        else:
            state = State.SUCCESS
        phase = "afterExecution"
    ended = step.w.phases.final
    assert ended is not None  # set when `finally` ended, above or in an earlier event
    end(step, State.FAILED if state in st.FAILURE and ended not in st.FAILURE else ended)


def end(step: Step, state: State, *, reason: str | None = None) -> None:
    """The execution reaches its terminal `state`: check the SLA assertions of a run that ended by itself,
    compute flow outputs, tell whoever waits."""
    if reason is None and step.w.execution.state == State.RUNNING and \
            state not in (State.KILLED, State.CANCELLED, State.RETRIED):
        state, reason = _assert_slas(step, state)
    execution = step.w.execution
    outputs: dict[str, Any] | None = None
    if state in (State.SUCCESS, State.WARNING) and step.flow.outputs:
        try:
            outputs = {o.id: _typed_output(o.id, o.type, step.render(o.value, None)) for o in step.flow.outputs}
        except (ExpressionError, ValueError) as exc:
            state, reason = State.FAILED, f"flow outputs: {exc}"
    update: dict[str, Any] = {"ended": step.w.now, "outputs": outputs}
    if reason:
        update["error"] = reason
        step.w.log(None, "ERROR" if state == State.FAILED else "WARN", reason)
    step.w.set_execution(execution.model_copy(update=update).with_state(state, step.w.now))
    if execution.parent_id and execution.parent_task_run_id:
        error = None
        extract = ExecutionNotes.of(execution).extract
        if not step.flow.outputs and extract:
            outputs, error = _extracted(step, extract)
        step.w.command(cmd.NotifyParent(
            parent_execution_id=execution.parent_id, parent_task_run_id=execution.parent_task_run_id,
            child_execution_id=execution.id, state=str(state), outputs=outputs or {}, outputs_error=error,
        ))
    step.w.command(cmd.ExecutionEnded(
        execution_id=execution.id, namespace=execution.namespace, flow_id=execution.flow_id, state=str(state)
    ))


def _extracted(step: Step, templates: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The parent task's deprecated Subflow.outputs rendered against this (child) execution, whatever its
    state, as Kestra does when the subflow declares no outputs; or why they cannot be."""
    try:
        return {str(k): step.render(v, None) for k, v in templates.items()}, None
    except (ExpressionError, ValueError) as exc:
        return None, str(exc)


def _assert_slas(step: Step, state: State) -> tuple[State, str | None]:
    """Evaluate the EXECUTION_ASSERTION SLAs on the ending execution: each one that does not hold (or cannot be
    evaluated) is breached. The state it leaves the execution in, and why when a breach changed it."""
    reason = None
    for sla in step.flow.sla or ():
        if sla.type != "EXECUTION_ASSERTION" or not sla.assert_:
            continue
        try:
            held, why = step.condition(sla.assert_, None), "its assertion is false"
        except (ExpressionError, ValueError) as exc:
            held, why = False, f"its assertion cannot be evaluated: {exc}"
        if not held:
            message = f"SLA '{sla.id}' breached: {why}"
            breached = breach_sla(step, sla)
            if breached is None:
                step.w.log(None, "WARN", message)
            else:
                state, reason = breached, reason or message
    return state, reason


def breach_sla(step: Step, sla: Sla) -> State | None:
    """Record the breach of `sla` (its labels, once); the state its behavior ends the execution in: FAILED
    (FAIL), CANCELLED (CANCEL) or None (NONE: it carries on)."""
    execution = step.w.execution
    labels = {lb.key: lb.value for lb in execution.labels} | {lb.key: lb.value for lb in sla.labels}
    step.w.set_execution(execution.model_copy(update={
        "labels": tuple(Label(key=k, value=v) for k, v in labels.items()),
        "scratch": ExecutionNotes.of(execution).with_breach(sla.id, execution.scratch),
    }))
    return {"FAIL": State.FAILED, "CANCEL": State.CANCELLED}.get(sla.behavior)


# Kestra converts each flow output to its declared type; types without a JSON form stay as rendered text, and
# a STRING is the text the expression prints (a map or a list as its JSON).
_OUTPUT_TYPES: dict[str, Callable[[Any], Any]] = {
    "INT": parse.to_int, "FLOAT": parse.to_float, "BOOLEAN": parse.to_bool, "BOOL": parse.to_bool,
    "JSON": parse.to_json, "ARRAY": parse.to_list, "STRING": to_text,
}


def _typed_output(output_id: str, kind: str, value: Any) -> Any:
    convert = _OUTPUT_TYPES.get(kind)
    if convert is None or value is None:
        return value
    try:
        return convert(value)
    except ValueError as exc:
        raise ValueError(f"output '{output_id}' ({kind}): {exc}") from None


typed_output = _typed_output  # a Loop's declared outputs are converted as flow outputs are


def maybe_finish_kill(step: Step) -> None:
    """A KILLING execution becomes KILLED once no task run is still being stopped on a worker."""
    if step.w.execution.state == State.KILLING and not step.w.runs_in_states([State.KILLING]):
        end(step, State.KILLED)
