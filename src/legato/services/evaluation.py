"""The variables a task run's expressions see, rebuilt from the store: what the UI's debugging console renders
an expression against."""

from __future__ import annotations

from typing import Any, Protocol

from legato.engine import context
from legato.flows import Flows
from legato.model.execution import Execution, TaskRun
from legato.services.errors import NotFoundError
from legato.store.ports import ExecutionReader, FlowReader


class EvaluationPorts(FlowReader, ExecutionReader, Protocol):
    """What evaluating expressions against an execution reads: its flow and its task runs."""


class _Runs:
    """context.RunSource over the store, for one execution."""

    def __init__(self, store: EvaluationPorts, execution_id: str):
        view = store.read_view(execution_id)
        if view is None:
            raise NotFoundError(f"execution {execution_id} not found")
        self._view = view

    def run(self, task_run_id: str) -> TaskRun:
        return self._view.task_run(task_run_id)

    def outputs_of(self, task_id: str) -> list[TaskRun]:
        return self._view.outputs_of(task_id)


def task_run_variables(store: EvaluationPorts, flows: Flows, execution: Execution, task_run_id: str) -> dict[str, Any]:
    """The expression variables of task run `task_run_id` of `execution` (inputs, outputs, vars, labels,
    taskrun, parents...); NotFoundError when the flow revision or the task run is gone."""
    record = store.get_flow(execution.namespace, execution.flow_id, execution.flow_revision, tenant=execution.tenant)
    if record is None:
        raise NotFoundError(f"the flow of execution {execution.id} no longer exists")
    runs = _Runs(store, execution.id)
    try:
        run = runs.run(task_run_id)
    except KeyError:
        raise NotFoundError(f"task run {task_run_id} not found in execution {execution.id}") from None
    flow = flows.of(record)
    try:
        task_type = flow.task(run.task_id).type
    except KeyError:
        task_type = None
    return dict(context.build(flow, execution, runs, run, task_type=task_type))


def execution_variables(store: EvaluationPorts, flows: Flows, execution: Execution) -> dict[str, Any]:
    """The expression variables of `execution` at flow level (inputs, outputs of every task, vars, labels,
    trigger), as its flow outputs are rendered; NotFoundError when the flow revision is gone."""
    record = store.get_flow(execution.namespace, execution.flow_id, execution.flow_revision, tenant=execution.tenant)
    if record is None:
        raise NotFoundError(f"the flow of execution {execution.id} no longer exists")
    variables = dict(context.build(flows.of(record), execution, _Runs(store, execution.id)))
    variables["execution"] = {**variables["execution"], "outputs": execution.outputs or {}}
    return variables
