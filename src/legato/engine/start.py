"""Building a new execution of a flow: inputs validated and typed, the flow's checks applied, labels merged.
Pure: the caller supplies the id and the time, and stores the result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from legato import secrets_env
from legato.engine import phases
from legato.expressions import ExpressionError, Renderer, truthy
from legato.model.errors import ChecksFailed, FlowDisabledError, Problem
from legato.model.execution import Execution, Label, StateEntry
from legato.model.inputs_values import validate_inputs
from legato.model.state import State

# Labels Legato sets itself, as Kestra does (`system.` prefix); the correlation id ties an execution tree.
SYSTEM_PREFIX = "system."
CORRELATION_ID = "system.correlationId"
# Execution scratch of a subflow execution: the parent task's deprecated `outputs`, rendered when it ends.
EXTRACT = phases.EXTRACT

if TYPE_CHECKING:
    from legato.model.flow import Check, Flow


def new_execution(
    flow: Flow,
    revision: int,
    raw_inputs: Mapping[str, Any],
    *,
    execution_id: str,
    now: datetime,
    renderer: Renderer | None = None,
    labels: Mapping[str, str] | None = None,
    files: Mapping[str, str] | None = None,
    trigger: dict[str, Any] | None = None,
    parent: tuple[str, str] | None = None,
    origin_id: str | None = None,
    scheduled_at: datetime | None = None,
    scratch: dict[str, Any] | None = None,
    check_disabled: bool = True,
    tenant: str = "main",
) -> Execution:
    """A CREATED execution of `flow`. Raises InputsError naming every bad input, FlowDisabledError."""
    if check_disabled and flow.disabled:
        raise FlowDisabledError(f"flow {flow.namespace}.{flow.id} is disabled")
    render = _input_renderer(flow, renderer or Renderer(functions=secrets_env.FUNCTIONS), now)
    inputs = validate_inputs(list(flow.inputs or []), raw_inputs, render=render, files=files)
    merged = with_correlation_id({lb.key: lb.value for lb in flow.labels} | dict(labels or {}), execution_id)
    return Execution(
        id=execution_id, namespace=flow.namespace, flow_id=flow.id, flow_revision=revision,
        inputs=inputs, labels=tuple(Label(key=k, value=v) for k, v in merged.items()), trigger=trigger,
        parent_id=parent[0] if parent else None, parent_task_run_id=parent[1] if parent else None,
        origin_id=origin_id, scheduled_at=scheduled_at, created=now,
        scratch={**(scratch or {}), **_checked(flow, inputs, render)},
        histories=(StateEntry(state=State.CREATED, date=now),),  # Kestra's histories start at CREATED
        tenant=tenant,
    )


def with_correlation_id(labels: dict[str, str], execution_id: str) -> dict[str, str]:
    """`labels` with Kestra's `system.correlationId`: the one given (a subflow inherits its parent's), else the
    new execution's own id, so every execution started from one root carries the root's id."""
    return labels if CORRELATION_ID in labels else {**labels, CORRELATION_ID: execution_id}


def system_labels(execution: Execution) -> dict[str, str]:
    """The `system.*` labels of `execution`, which a subflow always inherits (inheritLabels or not)."""
    return {lb.key: lb.value for lb in execution.labels if lb.key.startswith(SYSTEM_PREFIX)}


def _checked(flow: Flow, inputs: dict[str, Any], render: Callable[[str, dict[str, Any]], Any]) -> dict[str, Any]:
    """The flow's `checks` against the inputs: raises ChecksFailed when one that blocks does not hold; else
    what the execution carries for the executor (the messages to log, and the failure of FAIL_EXECUTION)."""
    failed: list[tuple[Check, str]] = []
    for check in flow.checks or ():
        try:
            expression = check.expression
            if truthy(expression if isinstance(expression, bool) else render(expression, inputs)):
                continue
            failed.append((check, check.message))
        except (ExpressionError, ValueError) as exc:
            failed.append((check, f"{check.message} (the condition cannot be evaluated: {exc})"))
    blocking = [Problem(path="checks", message=m) for c, m in failed if c.behavior == "BLOCK_EXECUTION"]
    if blocking:
        raise ChecksFailed(blocking)
    out: dict[str, Any] = {}
    if failed:
        out["checks"] = [{"message": m, "style": c.style} for c, m in failed]
    failing = [m for c, m in failed if c.behavior == "FAIL_EXECUTION"]
    if failing:
        out["failure"] = "check failed: " + "; ".join(failing)
    return out


def failure_execution(flow: Flow, revision: int, *, execution_id: str, now: datetime, trigger: dict[str, Any],
                      failure: str, labels: Mapping[str, str] | None = None, tenant: str = "main") -> Execution:
    """The execution recording a trigger's failure to evaluate (failOnTriggerError): no inputs are
    validated, and the executor ends it FAILED at once with `failure` as its error."""
    merged = with_correlation_id({lb.key: lb.value for lb in flow.labels} | dict(labels or {}), execution_id)
    return Execution(
        id=execution_id, namespace=flow.namespace, flow_id=flow.id, flow_revision=revision, inputs={},
        labels=tuple(Label(key=k, value=v) for k, v in merged.items()), trigger=trigger, created=now,
        histories=(StateEntry(state=State.CREATED, date=now),), scratch={"failure": failure}, tenant=tenant,
    )


def _input_renderer(flow: Flow, renderer: Renderer, now: datetime) -> Callable[[str, dict[str, Any]], Any]:
    """Renders input defaults and dependsOn conditions against the inputs validated so far."""

    def render(template: str, inputs_so_far: dict[str, Any]) -> Any:
        context = {"inputs": inputs_so_far, "flow": {"id": flow.id, "namespace": flow.namespace}, "vars": flow.variables or {}}
        return renderer.render_typed(template, context)

    return render
