"""Backfills of Schedule triggers, for the CLI and the API: create (validated), pause, resume, delete. The
scheduler replays the dates (legato.scheduler.backfills)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from legato import secrets_env
from legato.engine.start import new_execution
from legato.expressions import ExpressionError, Renderer
from legato.flows import Flows
from legato.identity.permissions import Action, Resource
from legato.model.ids import new_id
from legato.model.triggers import Schedule
from legato.services import audit
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal, require
from legato.services.triggers import find_trigger
from legato.store.ports import AuditLog, BackfillState, BackfillStore, FlowReader


class BackfillPorts(FlowReader, BackfillStore, AuditLog, Protocol):
    """What the backfill services use: backfills, the deployed flows, and the audit log."""


MAX_LABELS = 100


class InvalidBackfill(ValueError):
    """The backfill's dates, inputs or labels do not fit its trigger."""


def create(store: BackfillPorts, flows: Flows, namespace: str, flow_id: str, trigger_id: str, *, by: Principal,
           start: datetime,
           end: datetime | None, inputs: Mapping[str, Any] | None, labels: Mapping[str, str] | None,
           now: datetime) -> BackfillState:
    """A new backfill of a Schedule trigger over [start, end] (end: now). NotFoundError for an unknown flow or
    trigger, InvalidBackfill for a trigger that is not a Schedule or bad dates, InputsError for inputs the flow
    refuses, ConflictError when the trigger already has a backfill."""
    require(by, Resource.TRIGGER, Action.BACKFILL, namespace)
    trigger = find_trigger(store, flows, namespace, flow_id, trigger_id, tenant=by.tenant)
    if not isinstance(trigger, Schedule):
        raise InvalidBackfill(f"trigger {trigger_id} is a {trigger.type}; only Schedule triggers can be backfilled")
    start, end = _utc(start), _utc(end) if end is not None else now
    if end > now:
        raise InvalidBackfill(f"the end {end.isoformat()} is in the future; backfills replay past dates only")
    if start > end:
        raise InvalidBackfill(f"the start {start.isoformat()} is after the end {end.isoformat()}")
    labels = dict(labels or {})
    if len(labels) > MAX_LABELS or any(not k or not v for k, v in labels.items()):
        raise InvalidBackfill(f"labels need a non-empty key and value each (at most {MAX_LABELS})")
    _check_inputs(store, flows, namespace, flow_id, trigger, dict(inputs or {}), start, now, by.tenant)
    backfill = BackfillState(
        namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, start=start, end=end,
        cursor=start - timedelta(microseconds=1), paused=False, inputs=dict(inputs) if inputs else None,
        labels=labels, fired=0, execution_id=None, created=now, updated=now, tenant=by.tenant,
    )
    with _audited(store, by, "BACKFILL", namespace, flow_id, trigger_id, now,
                  {"start": start.isoformat(), "end": end.isoformat(), "inputs": dict(inputs) if inputs else None,
                   "labels": labels}):
        created = store.create_backfill(backfill)
    if not created:
        raise ConflictError(f"trigger {trigger_id} of {namespace}.{flow_id} already has a backfill; delete it first")
    return backfill


def set_paused(store: BackfillPorts, namespace: str, flow_id: str, trigger_id: str, paused: bool, *, by: Principal,
               now: datetime) -> BackfillState:
    """Pause or resume a trigger's backfill; NotFoundError when it has none."""
    require(by, Resource.TRIGGER, Action.BACKFILL, namespace)
    with _audited(store, by, "PAUSE_BACKFILL" if paused else "UNPAUSE_BACKFILL", namespace, flow_id, trigger_id, now,
                  None):
        found = store.set_backfill_paused(namespace, flow_id, trigger_id, paused, now, tenant=by.tenant)
    if found is None:
        raise NotFoundError(f"trigger {trigger_id} of {namespace}.{flow_id} has no backfill")
    return found


def delete(store: BackfillPorts, namespace: str, flow_id: str, trigger_id: str, *, by: Principal) -> None:
    """Stop and forget a trigger's backfill (executions it created stay); NotFoundError when it has none."""
    require(by, Resource.TRIGGER, Action.BACKFILL, namespace)
    with _audited(store, by, "DELETE_BACKFILL", namespace, flow_id, trigger_id, None, None):
        deleted = store.delete_backfill(namespace, flow_id, trigger_id, tenant=by.tenant)
    if not deleted:
        raise NotFoundError(f"trigger {trigger_id} of {namespace}.{flow_id} has no backfill")


def _audited(store: BackfillPorts, by: Principal, action: str, namespace: str, flow_id: str, trigger_id: str,
             now: datetime | None, details: dict[str, Any] | None) -> AbstractContextManager[None]:
    return audit.action(store, by, action, "TRIGGER", f"{namespace}.{flow_id}.{trigger_id}", namespace=namespace,
                        now=now, details=details)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _check_inputs(store: BackfillPorts, flows: Flows, namespace: str, flow_id: str, trigger: Schedule, inputs: dict[str, Any],
                  start: datetime, now: datetime, tenant: str) -> None:
    """Raise InputsError when the flow would refuse the backfill's inputs over the trigger's own ones (rendered
    for the start date)."""
    record = store.get_flow(namespace, flow_id, tenant=tenant)
    assert record is not None  # find_trigger found it
    flow = flows.of(record)
    renderer = Renderer(functions=secrets_env.FUNCTIONS)
    context = {"trigger": {"date": start.isoformat(), "next": None, "previous": None},
               "flow": {"id": flow.id, "namespace": flow.namespace, "revision": record.revision, "tenantId": tenant}}
    try:
        declared = {k: renderer.render_typed(v, context) if isinstance(v, str) else v
                    for k, v in (trigger.inputs or {}).items()}
    except ExpressionError as exc:
        raise InvalidBackfill(f"the trigger's inputs do not render: {exc}") from None
    new_execution(flow, record.revision, declared | inputs, execution_id=new_id(), now=now, check_disabled=False,
                  tenant=tenant)


def as_json(backfill: BackfillState | None) -> dict[str, Any] | None:
    """Kestra's shape of a trigger's backfill (plus `fired` and `executionId`)."""
    if backfill is None:
        return None
    started = backfill.cursor >= backfill.start
    return {
        "start": backfill.start.isoformat(), "end": backfill.end.isoformat(),
        "currentDate": (backfill.cursor if started else backfill.start).isoformat(),
        "paused": backfill.paused, "inputs": backfill.inputs,
        "labels": [{"key": k, "value": v} for k, v in backfill.labels.items()],
        "fired": backfill.fired, "executionId": backfill.execution_id, "created": backfill.created.isoformat(),
    }
