"""What a visitor of an app's page does: see the blocks of the stage the app is at, submit its form (a new
execution of the app's flow labelled `system.app: <id>`), resume or cancel that execution, read its files.
A PUBLIC app needs no sign-in; a PRIVATE one needs APPEXECUTION on its namespace (and, when it names groups,
membership of one of them). The visitor acts through the app: the executions it starts, resumes or cancels need
no EXECUTION permission of its own, and only executions of this app are reachable."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from legato.apps import App, Stage, shown_stage, stage_of
from legato.apps.blocks import Visit, resolve
from legato.expressions import Renderer
from legato.flows import Flows
from legato.identity import grants as grants_
from legato.identity.permissions import Action, Resource
from legato.model.execution import Execution
from legato.model.flowable import Pause
from legato.services import apps, evaluation, executions
from legato.services.errors import AuthenticationError, ForbiddenError, NotFoundError
from legato.services.principal import Principal, require
from legato.storage import Storage
from legato.store.ports import (
    MAIN,
    AppRecord,
    AppStore,
    AuditLog,
    ExecutionStore,
    FlowReader,
    IdentityStore,
    LogStore,
)

APP_LABEL = "system.app"
MAX_LOG_LINES = 1000


class AppRuntimePorts(FlowReader, ExecutionStore, LogStore, AuditLog, IdentityStore, AppStore, Protocol):
    """What the app pages use: the flow, its executions and their logs, the audit log, group memberships, apps."""


@dataclass(frozen=True)
class AppView:
    """An app's page for one visit: the stage the execution is at, the stage whose blocks are shown, and those
    blocks resolved."""

    record: AppRecord
    app: App
    stage: Stage
    shown: Stage
    execution: Execution | None
    blocks: list[dict[str, Any]]


def app_url(app_id: str, tenant: str = "main") -> str:
    """The path of an app's page in the web UI."""
    return f"/ui/{tenant}/apps/{app_id}"


def enter(store: AppRuntimePorts, key: str, *, by: Principal, action: Action, now: datetime) -> tuple[AppRecord, App]:
    """The app, once `by` may `action` through it (VIEW: its page; CREATE: submit; UPDATE: resume or cancel).
    NotFoundError when there is none, it is disabled or outside its expiration; AuthenticationError when it is
    PRIVATE and nobody signed in; ForbiddenError without the permission or group."""
    record = apps.find(store, key, by.tenant)
    app = apps.parsed(record.source, key)
    if app.disabled:
        raise NotFoundError(f"app '{key}' is disabled")
    if app.expiration is not None and not _open_at(app, now):
        raise NotFoundError(f"app '{key}' is not open at this time")
    if app.access.type == "PUBLIC":
        return record, app
    if by.kind == "anonymous" and not by.grants.allows(Resource.APPEXECUTION, action, app.namespace):
        raise AuthenticationError(f"app '{key}' is private: sign in to use it")
    require(by, Resource.APPEXECUTION, action, app.namespace)
    if app.access.groups and not by.grants.owner and not _in_groups(store, by, app.access.groups):
        raise ForbiddenError(Resource.APPEXECUTION.value, action.value, app.namespace)
    return record, app


def _open_at(app: App, now: datetime) -> bool:
    assert app.expiration is not None
    start, end = app.expiration.start_date, app.expiration.end_date
    return (start is None or now >= start) and (end is None or now <= end)


def _in_groups(store: AppRuntimePorts, by: Principal, wanted: list[str]) -> bool:
    if by.id is None:
        return False
    mine = set(store.groups_of(by.id))
    names = {g.name for g in store.list_groups() if g.id in mine}
    return bool((mine | names) & set(wanted))


def _through(by: Principal) -> Principal:
    """`by` acting through an app: what the app lets it do needs no permission of its own (audited as `by`)."""
    return dataclasses.replace(by, grants=grants_.OWNER)


def execution_of(store: AppRuntimePorts, app: App, execution_id: str, tenant: str = MAIN) -> Execution:
    """An execution (of `tenant`) this app started (NotFoundError for any other: an app reaches its own executions only)."""
    execution = store.get_execution(execution_id, tenant=tenant)
    if (execution is None or execution.namespace != app.namespace or execution.flow_id != app.flow_id
            or not any(label.key == APP_LABEL and label.value == app.id for label in execution.labels)):
        raise NotFoundError(f"execution {execution_id} is not an execution of app '{app.id}'")
    return execution


def submit(store: AppRuntimePorts, key: str, inputs: Mapping[str, Any], *, by: Principal, now: datetime,
           files: executions.Files | None = None, storage: Storage | None = None,
           flows: Flows | None = None) -> Execution:
    """Start the app's flow with the form's inputs (InputsError naming each bad one: nothing is created)."""
    _, app = enter(store, key, by=by, action=Action.CREATE, now=now)
    return executions.create_execution(
        store, app.namespace, app.flow_id, inputs, by=_through(by), now=now, revision=app.flow_revision,
        labels={APP_LABEL: app.id}, files=files, storage=storage, flows=flows)


def resume(store: AppRuntimePorts, key: str, execution_id: str, inputs: Mapping[str, Any] | None, *, by: Principal,
           now: datetime, files: executions.Files | None = None, storage: Storage | None = None) -> None:
    """Resume the app's paused execution with the pause's onResume inputs."""
    _, app = enter(store, key, by=by, action=Action.UPDATE, now=now)
    execution_of(store, app, execution_id, by.tenant)
    executions.resume(store, execution_id, inputs, by=_through(by), files=files, storage=storage)


def cancel(store: AppRuntimePorts, key: str, execution_id: str, *, by: Principal, now: datetime) -> None:
    """Kill the app's execution (ConflictError once it has ended)."""
    _, app = enter(store, key, by=by, action=Action.UPDATE, now=now)
    execution_of(store, app, execution_id, by.tenant)
    executions.kill(store, execution_id, by=_through(by))


def file_of(store: AppRuntimePorts, key: str, execution_id: str, *, by: Principal, now: datetime) -> Execution:
    """The app's execution whose files a visitor may download (the caller checks the URI is inside it)."""
    _, app = enter(store, key, by=by, action=Action.VIEW, now=now)
    return execution_of(store, app, execution_id, by.tenant)


def view(store: AppRuntimePorts, flows: Flows, key: str, execution_id: str | None, *, by: Principal, now: datetime,
         renderer: Renderer | None = None) -> AppView:
    """The page of app `key`: OPEN without an execution, else the stage of the app's execution `execution_id`."""
    record, app = enter(store, key, by=by, action=Action.VIEW, now=now)
    execution = execution_of(store, app, execution_id, by.tenant) if execution_id else None
    return render_view(store, flows, record, app, execution, renderer=renderer)


def render_view(store: AppRuntimePorts, flows: Flows, record: AppRecord, app: App, execution: Execution | None, *,
                stage: Stage | None = None, renderer: Renderer | None = None) -> AppView:
    """The blocks of `app` for `execution` (or of `stage`, for the editor's preview of an app not saved yet)."""
    at = stage or stage_of(execution.state if execution else None,
                           [h.state for h in execution.histories] if execution else ())
    shown = shown_stage(app, at)
    flow_record = store.get_flow(app.namespace, app.flow_id, execution.flow_revision if execution else app.flow_revision,
                                 tenant=record.tenant)
    if flow_record is None or flow_record.deleted:
        at = shown = Stage.ERROR
        blocks = [{"type": "Alert", "style": "ERROR", "showIcon": True,
                   "content": f"This app's flow {app.namespace}.{app.flow_id} does not exist."}]
        if app.has_stage(Stage.ERROR):
            blocks = resolve(app.blocks_at(Stage.ERROR), Visit(_app_vars(app)), renderer or Renderer())
        return AppView(record, app, at, shown, execution, blocks)
    flow = flows.of(flow_record)
    visit = _visit(store, flows, app, flow, execution)
    return AppView(record, app, at, shown, execution, resolve(app.blocks_at(shown), visit, renderer or Renderer()))


def _app_vars(app: App) -> dict[str, Any]:
    return {"app": {"id": app.id, "displayName": app.display_name, "namespace": app.namespace,
                    "url": app_url(app.id)},
            "flow": {"id": app.flow_id, "namespace": app.namespace}}


def _visit(store: AppRuntimePorts, flows: Flows, app: App, flow: Any, execution: Execution | None) -> Visit:
    form = [i.model_dump(mode="json", by_alias=True, exclude_none=True) for i in flow.inputs or []]
    if execution is None:
        return Visit(_app_vars(app), form_inputs=form)
    variables = {**evaluation.execution_variables(store, flows, execution), "app": _app_vars(app)["app"]}
    resume_inputs: list[dict[str, Any]] = []
    for run in store.task_runs(execution.id):
        task = _task(flow, run.task_id)
        if run.state.value == "PAUSED" and isinstance(task, Pause) and task.onResume:
            resume_inputs = list(task.onResume)
    logs = [{"timestamp": r.timestamp.isoformat(), "level": r.level, "taskId": r.task_id, "message": r.message}
            for r in store.logs(execution.id)[-MAX_LOG_LINES:]]
    inputs = _declared_order(execution.inputs, [i.id for i in flow.inputs or []])
    outputs = _declared_order(execution.outputs or {}, [o.id for o in flow.outputs or []])
    return Visit(variables, inputs=inputs, outputs=outputs, form_inputs=form, resume_inputs=resume_inputs, logs=logs)


def _declared_order(values: Mapping[str, Any], declared: list[str]) -> dict[str, Any]:
    """`values` in the order the flow declares them (PostgreSQL's JSONB keeps its own order of keys)."""
    first = {key: values[key] for key in declared if key in values}
    return {**first, **{key: value for key, value in values.items() if key not in first}}


def _task(flow: Any, task_id: str) -> Any:
    try:
        return flow.task(task_id)
    except KeyError:
        return None


def catalog(store: AppRuntimePorts, *, by: Principal, now: datetime) -> list[tuple[AppRecord, App]]:
    """The apps `by` may open that are listed in the catalogue (not disabled, not outside their expiration)."""
    found = []
    for record in store.list_apps(tenant=by.tenant):
        app = apps.parsed(record.source, record.id)
        if app.disabled or not app.access.catalog or (app.expiration is not None and not _open_at(app, now)):
            continue
        if app.access.type == "PRIVATE" and not (
                by.grants.allows(Resource.APPEXECUTION, Action.VIEW, app.namespace)
                and (not app.access.groups or by.grants.owner or _in_groups(store, by, app.access.groups))):
            continue
        found.append((record, app))
    return found


def preview(store: AppRuntimePorts, flows: Flows, record: AppRecord, app: App, stage: Stage, *,
            by: Principal) -> AppView:
    """The blocks of `stage` of an app not saved yet, without an execution (the editor's preview)."""
    require(by, Resource.APP, Action.VIEW, app.namespace)
    return render_view(store, flows, record, app, None, stage=stage)
