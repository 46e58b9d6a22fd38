"""The copilot as the API offers it, with the caller's permissions: a flow written or changed from a request, and
the flow of a failed execution fixed from what failed (the failed tasks, their errors and log lines, masked as the
API masks them). The permission checks run before the model is asked anything, and again on the namespace of what
it proposes. Only a valid flow is ever proposed (legato.services.copilot)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from legato.flows import parse_flow
from legato.identity.permissions import Action, Resource
from legato.model import state as st
from legato.model.errors import FlowValidationError
from legato.model.execution import Execution, TaskRun
from legato.services import copilot
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal, require
from legato.store.ports import ExecutionReader, FlowReader, FlowRecord, LogStore

FAILED_TASKS_SHOWN = 5  # the model is told about this many failed tasks, the first ones
LOG_LINES_SHOWN = 40  # per failed task, the last ones
LINE_CHARS = 500  # a longer log line or error is cut
_NAMESPACE = re.compile(r"^namespace:\s*[\"']?([A-Za-z0-9][A-Za-z0-9._-]*)", re.MULTILINE)
_ID = re.compile(r"^id:\s*[\"']?([A-Za-z0-9][A-Za-z0-9_-]*)", re.MULTILINE)


class NotConfigured(Exception):
    """No model is configured for the copilot on this server."""

    def __init__(self) -> None:
        super().__init__("the AI copilot is not configured on this server: an administrator sets ai_url and ai_model "
                         "(LEGATO_AI_URL, LEGATO_AI_MODEL, and LEGATO_AI_API_KEY when the model API needs one)")


@dataclass(frozen=True)
class FailedTask:
    task_id: str
    task_type: str | None
    error: str | None
    logs: tuple[str, ...]  # `LEVEL message`, masked


@dataclass(frozen=True)
class Failure:
    """What the model is told about a failed execution, and the flow it is to fix (its current revision)."""

    execution_id: str
    namespace: str
    flow_id: str
    executed_revision: int
    current: FlowRecord
    tasks: tuple[FailedTask, ...]


@dataclass(frozen=True)
class Fix:
    proposal: copilot.Proposal
    failure: Failure


def _model(model: copilot.Model | None) -> copilot.Model:
    if model is None:
        raise NotConfigured()
    return model


class AssistPorts(FlowReader, ExecutionReader, LogStore, Protocol):
    """What the copilot's checks read: flows (may the caller save there), a failed execution, its runs and logs."""


def _require_save(store: AssistPorts, by: Principal, namespace: str, flow_id: str | None) -> None:
    """The permission to save the flow `namespace`/`flow_id`: FLOW:UPDATE when it exists, FLOW:CREATE otherwise."""
    exists = flow_id is not None and store.get_flow(namespace, flow_id, tenant=by.tenant) is not None
    require(by, Resource.FLOW, Action.UPDATE if exists else Action.CREATE, namespace)


def check_generate(store: AssistPorts, model: copilot.Model | None, *, by: Principal, current: str | None,
                   namespace: str | None, flow_id: str | None = None) -> copilot.Model:
    """Before asking the model: the copilot is configured and `by` may save a flow where the request is about (the
    namespace asked for, else the current flow's); with neither, FLOW:CREATE on some namespace."""
    target = namespace or (_first(_NAMESPACE, current) if current else None)
    if target is None:
        require(by, Resource.FLOW, Action.CREATE)
    else:
        _require_save(store, by, target, flow_id or (_first(_ID, current) if current else None))
    return _model(model)


def _first(pattern: re.Pattern[str], text: str | None) -> str | None:
    found = pattern.search(text or "")
    return found.group(1) if found else None


async def generate(model: copilot.Model, request: str, *, current: str | None,
                   keep: tuple[str, str] | None = None) -> copilot.Proposal:
    """A valid flow for `request` (a change of `current` when given), after check_generate; with `keep`
    (namespace, id), one with that namespace and id."""
    name = "flow.yaml"
    if current is not None and (ns := _first(_NAMESPACE, current)) and (flow_id := _first(_ID, current)):
        name = f"{ns}/{flow_id}.yaml"
    return await copilot.propose(request, endpoint=model.endpoint, max_rounds=model.max_rounds, current=current,
                                 name=name, keep=keep)


def check_proposal(store: AssistPorts, by: Principal, proposal: copilot.Proposal) -> None:
    """After the model answered: `by` may save the proposed flow where it says it lives."""
    flow = parse_flow(proposal.source)
    _require_save(store, by, flow.namespace, flow.id)


def failure_of(store: AssistPorts, model: copilot.Model | None, execution_id: str, *, by: Principal,
               mask: Callable[[str], str]) -> tuple[copilot.Model, Failure]:
    """What failed in execution `execution_id` (its leaf failed task runs, their errors and log lines, each text
    passed through `mask`) and its flow's current revision. Needs FLOW:UPDATE and EXECUTION:ACCESS_LOGS on the
    execution's namespace; 409 unless the execution ended FAILED."""
    execution = store.get_execution(execution_id, tenant=by.tenant)
    if execution is None:
        raise NotFoundError(f"execution {execution_id} not found")
    require(by, Resource.FLOW, Action.UPDATE, execution.namespace)
    require(by, Resource.EXECUTION, Action.ACCESS_LOGS, execution.namespace)
    if execution.state != st.State.FAILED:
        raise ConflictError(f"execution {execution_id} is {execution.state.value}: only a FAILED execution can be fixed")
    current = store.get_flow(execution.namespace, execution.flow_id, tenant=by.tenant)
    if current is None or current.deleted:
        raise NotFoundError(f"flow {execution.namespace}.{execution.flow_id} not found: it was deleted")
    found = _model(model)
    types = _task_types(store, execution)
    tasks = tuple(_failed_task(store, run, types.get(run.task_id), mask) for run in _leaf_failures(store, execution))
    return found, Failure(execution.id, execution.namespace, execution.flow_id, execution.flow_revision, current, tasks)


def _leaf_failures(store: AssistPorts, execution: Execution) -> list[TaskRun]:
    """The failed task runs no other failed run ran under (a flowable task fails because a child did)."""
    failed = [r for r in store.task_runs(execution.id) if r.state == st.State.FAILED]
    parents = {r.parent_id for r in failed}
    return [r for r in failed if r.id not in parents][:FAILED_TASKS_SHOWN]


def _task_types(store: AssistPorts, execution: Execution) -> dict[str, str]:
    record = store.get_flow(execution.namespace, execution.flow_id, execution.flow_revision, tenant=execution.tenant)
    if record is None:
        return {}
    try:
        flow = parse_flow(record.source)
    except FlowValidationError:  # a revision written by an older version, say: the types are only a help
        return {}
    return {task.id: task.type for task in flow.all_tasks()}


def _failed_task(store: AssistPorts, run: TaskRun, task_type: str | None, mask: Callable[[str], str]) -> FailedTask:
    lines = store.logs(run.execution_id, task_run_id=run.id)[-LOG_LINES_SHOWN:]
    logs = tuple(_cut(mask(f"{line.level} {line.message}")) for line in lines)
    return FailedTask(run.task_id, task_type, _cut(mask(run.error)) if run.error else None, logs)


def _cut(text: str) -> str:
    return text if len(text) <= LINE_CHARS else text[:LINE_CHARS] + "…"


def fix_request(failure: Failure, note: str | None) -> str:
    """The request the model gets: what failed, and the user's own words when given."""
    parts = [f"Execution {failure.execution_id} of this flow (revision {failure.executed_revision}) ended FAILED. "
             "Change the flow so that it does not fail this way again. Keep its id and namespace, and change only "
             "what the failure calls for."]
    if failure.executed_revision != failure.current.revision:
        parts.append(f"The flow below is the current revision ({failure.current.revision}); the execution ran "
                     f"revision {failure.executed_revision}.")
    for task in failure.tasks:
        described = f"Failed task `{task.task_id}`" + (f" (type {task.task_type})" if task.task_type else "")
        parts.append(described + (f": {task.error}" if task.error else ""))
        if task.logs:
            parts.append("Its log lines, last ones:\n" + "\n".join(task.logs))
    if not failure.tasks:
        parts.append("No task run is marked FAILED: the execution itself failed (see the flow's checks, inputs or "
                     "concurrency).")
    if note:
        parts.append(f"The user adds: {note}")
    return "\n\n".join(parts)


async def fix(model: copilot.Model, failure: Failure, note: str | None = None) -> Fix:
    """A valid change of the failed execution's flow (a diff against its current revision), after failure_of."""
    current = failure.current
    proposal = await copilot.propose(fix_request(failure, note), endpoint=model.endpoint, max_rounds=model.max_rounds,
                                     current=current.source, name=f"{current.namespace}/{current.id}.yaml",
                                     keep=(current.namespace, current.id))
    return Fix(proposal, failure)
