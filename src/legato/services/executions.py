"""What a user can do to executions, for the CLI and the API alike. Every change to an execution goes through
an event for the executor; nothing here writes execution state itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from legato.engine import events as ev
from legato.engine.start import new_execution
from legato.expressions import Renderer
from legato.flows import Flows, parse_flow
from legato.identity.permissions import Action, Resource
from legato.model import state as st
from legato.model.errors import InputsError, Problem
from legato.model.execution import Execution, StateEntry
from legato.model.fixtures import ExecutionFixtures
from legato.model.flowable import Pause
from legato.model.ids import derived_id, new_id
from legato.model.inputs_values import validate_inputs
from legato.model.state import State
from legato.services import audit
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal, require
from legato.storage import Storage
from legato.storage import tenants as tenant_storage
from legato.storage.uris import execution_prefix, join
from legato.store.ports import (
    MAIN,
    AuditLog,
    ExecutionReader,
    ExecutionStore,
    FlowReader,
    LogFilter,
    LogStore,
)


class ExecutionPorts(FlowReader, ExecutionStore, LogStore, AuditLog, Protocol):
    """What the execution services use: executions and their events, their flows, their logs, the audit log."""


Files = Mapping[str, str | Path]  # FILE input id → a local file to put in internal storage


def create_execution(store: ExecutionPorts, namespace: str, flow_id: str, inputs: Mapping[str, Any], *, by: Principal,
                     now: datetime,
                     revision: int | None = None, labels: Mapping[str, str] | None = None,
                     files: Files | None = None, storage: Storage | None = None,
                     trigger: dict[str, Any] | None = None, scheduled_at: datetime | None = None,
                     renderer: Renderer | None = None, flows: Flows | None = None,
                     fixtures: ExecutionFixtures | None = None, fixture_files: Mapping[str, bytes] | None = None,
                     ) -> Execution:
    """Validate the inputs and queue a new execution; raises InputsError (nothing created) or NotFoundError.
    FILE inputs' `files` go to `storage` under the execution's prefix (Kestra's
    `kestra:///<ns>/<flow>/executions/<id>/inputs/<input>/<name>`), which becomes the input's value.
    A flow unit test passes `fixtures` (mocked tasks) and `fixture_files` (stored under
    `<prefix>/fixtures/<name>`, their URIs in `fixtures.files`)."""
    require(by, Resource.EXECUTION, Action.CREATE, namespace)
    record = store.get_flow(namespace, flow_id, revision, tenant=by.tenant)
    if record is None or record.deleted:
        raise NotFoundError(f"flow {namespace}.{flow_id} not found")
    flow = flows.of(record) if flows is not None else parse_flow(record.source)
    execution_id = new_id()
    storage = tenant_storage.of_tenant(storage, by.tenant) if storage is not None else None
    with _stored(storage, execution_prefix(namespace, flow_id, execution_id), files) as uris:
        execution = new_execution(flow, record.revision, inputs, execution_id=execution_id, now=now,
                                  renderer=renderer, labels=labels, files=uris, trigger=trigger,
                                  scheduled_at=scheduled_at, tenant=by.tenant)
        if fixtures is not None or fixture_files:
            prefix = execution_prefix(namespace, flow_id, execution_id)
            stored = _fixture_files(storage, prefix, fixture_files or {})
            given = fixtures or ExecutionFixtures()
            execution = execution.model_copy(
                update={"fixtures": given.model_copy(update={"files": {**given.files, **stored}})})
        with audit.action(store, by, "CREATE", "EXECUTION", execution.id, namespace=namespace, now=now,
                          details={"flowId": flow_id, "flowRevision": record.revision, "labels": _labels(execution)}):
            store.create_execution(execution, ev.ExecutionCreated())
    return execution


def _fixture_files(storage: Storage | None, prefix: str, files: Mapping[str, bytes]) -> dict[str, str]:
    """Put a test's fixture files into storage under `<prefix>/fixtures/`; their URIs by name."""
    if not files:
        return {}
    if storage is None:
        raise ValueError("fixture files need an internal storage")
    return {name: storage.put(join(prefix, f"fixtures/{_segment(name)}"), data) for name, data in files.items()}


@contextmanager
def _stored(storage: Storage | None, prefix: str, files: Files | None) -> Iterator[dict[str, str]]:
    """Put `files` into storage under `<prefix>/inputs/<input>/<name>` and yield their URIs by input id; they
    are removed again if the block raises (invalid inputs: nothing kept)."""
    if not files:
        yield {}
        return
    if storage is None:
        raise ValueError("FILE inputs need an internal storage")
    uris: dict[str, str] = {}
    try:
        for key, path in files.items():
            local = Path(path)
            uris[key] = storage.put_file(join(prefix, f"inputs/{_segment(key)}/{_segment(local.name)}"), local)
        yield uris
    except BaseException:
        for uri in uris.values():
            storage.delete(uri)
        raise


def _segment(name: str) -> str:
    """`name` as one safe storage path segment."""
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).lstrip(".")
    return cleaned[:200] or "file"


def check_inputs(store: ExecutionPorts, flows: Flows, namespace: str, flow_id: str, inputs: Mapping[str, Any], *,
                 now: datetime, revision: int | None = None, files: Mapping[str, str] | None = None,
                 tenant: str = MAIN) -> Execution:
    """The execution `create_execution` would queue for these inputs (typed inputs, the flow's non-blocking
    checks in its scratch), without creating it; InputsError or NotFoundError as `create_execution` raises."""
    record = store.get_flow(namespace, flow_id, revision, tenant=tenant)
    if record is None:
        raise NotFoundError(f"flow {namespace}.{flow_id} not found")
    return new_execution(flows.of(record), record.revision, inputs, execution_id=new_id(), now=now,
                         files=dict(files or {}), check_disabled=False, tenant=tenant)


def _send(store: ExecutionPorts, by: Principal, action: str, execution: Execution, event: ev.Event,
          details: dict[str, Any] | None = None) -> None:
    """Queue `event` for the executor, audited as `action` on the execution."""
    with audit.action(store, by, action, "EXECUTION", execution.id, namespace=execution.namespace, details=details):
        store.send_event(execution.id, event)


def _labels(execution: Execution) -> dict[str, str]:
    return {label.key: label.value for label in execution.labels}


def find(store: ExecutionReader, execution_id: str, *, tenant: str) -> Execution:
    """The execution of `tenant` (NotFoundError otherwise), for reads: the API checks the caller's right to see
    it from the route's access rule, which already knows the execution's namespace."""
    execution = store.get_execution(execution_id, tenant=tenant)
    if execution is None:
        raise NotFoundError(f"execution {execution_id} not found")
    return execution


def _execution(store: ExecutionPorts, execution_id: str, by: Principal, action: Action) -> Execution:
    """The execution (of `by`'s tenant), once `by` may do `action` on executions of its namespace (ForbiddenError
    otherwise)."""
    execution = find(store, execution_id, tenant=by.tenant)
    require(by, Resource.EXECUTION, action, execution.namespace)
    return execution


def kill(store: ExecutionPorts, execution_id: str, *, by: Principal) -> None:
    execution = _execution(store, execution_id, by, Action.KILL)
    if execution.state in st.TERMINAL:
        raise ConflictError(f"execution {execution_id} already ended {execution.state}")
    _send(store, by, "KILL", execution, ev.KillRequested())


def pause(store: ExecutionPorts, execution_id: str, *, by: Principal) -> None:
    """Pause a RUNNING execution: running tasks end, no new task starts until `resume`."""
    execution = _execution(store, execution_id, by, Action.PAUSE)
    if execution.state != State.RUNNING:
        raise ConflictError(f"execution {execution_id} is {execution.state}; only a RUNNING execution can be paused")
    _send(store, by, "PAUSE", execution, ev.PauseRequested())


def resume(store: ExecutionPorts, execution_id: str, raw_inputs: Mapping[str, Any] | None = None, *, by: Principal,
           files: Files | None = None, storage: Storage | None = None) -> None:
    """Resume a PAUSED execution; onResume inputs are validated first (InputsError changes nothing), FILE
    ones stored with the execution's files as `create_execution` does."""
    execution = _execution(store, execution_id, by, Action.RESUME)
    if execution.state != State.PAUSED:
        raise ConflictError(f"execution {execution_id} is {execution.state}, not PAUSED")
    record = store.get_flow(execution.namespace, execution.flow_id, execution.flow_revision, tenant=execution.tenant)
    if record is None:
        raise NotFoundError(f"flow of execution {execution_id} not found")
    flow = parse_flow(record.source)
    paused = [r for r in store.task_runs(execution_id) if r.state == State.PAUSED]
    inputs: dict[str, Any] = {}
    prefix = execution_prefix(execution.namespace, execution.flow_id, execution_id)
    storage = tenant_storage.of_tenant(storage, execution.tenant) if storage is not None else None
    with _stored(storage, prefix, files) as uris:
        for run in paused:
            task = flow.task(run.task_id)
            if isinstance(task, Pause) and task.onResume:
                inputs = validate_inputs(_input_models(task.onResume), raw_inputs or {}, files=uris)
        _send(store, by, "RESUME", execution, ev.ResumeRequested(inputs=inputs))


def _input_models(raw: list[dict[str, Any]]) -> list[Any]:
    from pydantic import TypeAdapter

    from legato.model.inputs import InputField

    try:
        return TypeAdapter(list[InputField]).validate_python(raw)
    except ValueError as exc:
        raise InputsError([Problem(path="onResume", message=str(exc))]) from None


def restart(store: ExecutionPorts, execution_id: str, *, by: Principal) -> None:
    execution = _execution(store, execution_id, by, Action.RESTART)
    if execution.state not in (State.FAILED, State.KILLED):
        raise ConflictError(f"only FAILED or KILLED executions can be restarted; {execution_id} is {execution.state}")
    _send(store, by, "RESTART", execution, ev.RestartRequested())


def replay(store: ExecutionPorts, execution_id: str, task_run_id: str, *, by: Principal, now: datetime, revision: int | None = None) -> Execution:
    """A new execution that reuses the outputs of every task run before `task_run_id` and runs again from it."""
    old = _execution(store, execution_id, by, Action.REPLAY)
    runs = store.task_runs(execution_id)
    index = next((i for i, r in enumerate(runs) if r.id == task_run_id), None)
    if index is None:
        raise NotFoundError(f"task run {task_run_id} not found in execution {execution_id}")
    if old.state not in st.TERMINAL:
        raise ConflictError(f"execution {execution_id} is still {old.state}; replay needs an ended execution")
    new = old.model_copy(update={
        "id": new_id(), "state": State.CREATED, "histories": (StateEntry(state=State.CREATED, date=now),),
        "outputs": None, "ended": None, "error": None, "restarts": 0, "created": now, "origin_id": old.id,
        "scratch": {}, "flow_revision": revision or old.flow_revision, "parent_id": None, "parent_task_run_id": None,
    })
    ids: dict[str, str] = {}
    copied = []
    for run in runs[: index + 1]:
        parent = ids.get(run.parent_id) if run.parent_id else None
        if run.parent_id and parent is None:
            continue  # under a run that is not copied
        ids[run.id] = derived_id(new.id, parent or "", run.branch, run.iteration, run.task_id)
        update: dict[str, Any] = {"id": ids[run.id], "execution_id": new.id, "parent_id": parent}
        if run.id == task_run_id:
            update.update(attempts=(), histories=(StateEntry(state=State.CREATED, date=now),), state=State.CREATED)
        copied.append(run.model_copy(update=update))
    with audit.action(store, by, "REPLAY", "EXECUTION", new.id, namespace=new.namespace, now=now,
                      details={"from": {"executionId": old.id, "taskRunId": task_run_id}}):
        store.create_execution(new, ev.ReplayRequested(task_runs=copied, from_task_run_id=ids[task_run_id]))
    return new


def change_task_run_state(store: ExecutionPorts, execution_id: str, task_run_id: str, state: State, *,
                          by: Principal) -> None:
    execution = _execution(store, execution_id, by, Action.UPDATE)
    runs = {r.id: r for r in store.task_runs(execution.id)}
    if task_run_id not in runs:
        raise NotFoundError(f"task run {task_run_id} not found in execution {execution_id}")
    if runs[task_run_id].state not in st.TERMINAL or state not in st.TERMINAL:
        raise ConflictError("only a finished task run can be set, and only to a final state")
    _send(store, by, "UPDATE", execution, ev.TaskRunStateChanged(task_run_id=task_run_id, state=state),
          {"taskRunId": task_run_id, **audit.changed(runs[task_run_id].state.value, state.value)})


def force_run(store: ExecutionPorts, execution_id: str, *, by: Principal) -> None:
    """Start a QUEUED execution now, even though its flow's concurrency limit is reached."""
    execution = _execution(store, execution_id, by, Action.UPDATE)
    if execution.state != State.QUEUED:
        raise ConflictError(f"execution {execution_id} is {execution.state}; only QUEUED executions can be forced to run")
    _send(store, by, "FORCE_RUN", execution, ev.ExecutionDequeued())


def set_labels(store: ExecutionPorts, execution_id: str, labels: Mapping[str, str], *, by: Principal) -> None:
    """Add labels to an execution or change their values; the others stay."""
    execution = _execution(store, execution_id, by, Action.UPDATE)
    _send(store, by, "UPDATE", execution, ev.LabelsSet(labels=dict(labels)),
          audit.changed({"labels": _labels(execution)}, {"labels": {**_labels(execution), **labels}}))


def delete(store: ExecutionPorts, execution_id: str, *, by: Principal, storage: Storage | None = None) -> None:
    """Delete the execution with its task runs and logs, and its files when `storage` is given. A running
    execution is deleted too: its workers' results are then ignored."""
    execution = _execution(store, execution_id, by, Action.DELETE)
    with audit.action(store, by, "DELETE", "EXECUTION", execution_id, namespace=execution.namespace,
                      details={"flowId": execution.flow_id, "state": execution.state.value}):
        if not store.delete_execution(execution_id):
            raise NotFoundError(f"execution {execution_id} not found")
    if storage is not None:
        tenant_storage.of_tenant(storage, execution.tenant).delete_prefix(
            execution_prefix(execution.namespace, execution.flow_id, execution.id))


def delete_logs(store: ExecutionPorts, execution_id: str, *, by: Principal, task_run_id: str | None = None,
                attempt: int | None = None) -> None:
    """Delete the execution's log lines, or only those of one task run (and attempt)."""
    execution = _execution(store, execution_id, by, Action.DELETE)
    with audit.action(store, by, "DELETE", "LOG", execution_id, namespace=execution.namespace,
                      details={"taskRunId": task_run_id, "attempt": attempt}):
        store.delete_logs(LogFilter(execution_id=execution_id, task_run_id=task_run_id, attempt=attempt))


async def wait_for_end(store: ExecutionPorts, execution_id: str, *, on_poll: Callable[[], None] | None = None,
                       poll_seconds: float = 0.05, timeout: float | None = None) -> Execution:
    """Wait until the execution is terminal and return it (`on_poll` runs on each check, e.g. to print logs)."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    while True:
        execution = await asyncio.to_thread(store.get_execution, execution_id)
        if on_poll is not None:
            on_poll()
        if execution is not None and execution.state in st.TERMINAL and execution.ended is not None:
            return execution
        if deadline is not None and loop.time() > deadline:
            raise TimeoutError(f"execution {execution_id} did not end within {timeout}s")
        await asyncio.sleep(poll_seconds)
