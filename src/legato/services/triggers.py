"""The triggers of deployed flows with their stored state, and turning them on and off: shared by the CLI and
the API. A trigger is enabled unless its flow's source says `disabled: true` or a user or Toggle task
disabled it. Each call sees the triggers of one tenant (the acting principal's): the flows of that tenant and the
state stored for them there."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from legato.flows import Flows
from legato.identity.permissions import Action, Resource
from legato.model.errors import FlowValidationError, suggest
from legato.model.triggers import Trigger
from legato.services import audit
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal, require
from legato.store.ports import MAIN, AuditLog, FlowReader, TriggerState, TriggerStore


class TriggerPorts(FlowReader, TriggerStore, AuditLog, Protocol):
    """What the trigger services use: trigger state, the deployed flows, and the audit log."""


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TriggerRow:
    """One trigger of a deployed flow, as a listing shows it."""

    namespace: str
    flow_id: str
    trigger_id: str
    type: str  # as the flow's source writes it
    disabled_in_source: bool
    state: TriggerState | None  # None: never toggled nor fired
    definition: Trigger | None = None  # the trigger as the flow declares it

    @property
    def enabled(self) -> bool:
        return not self.disabled_in_source and (self.state is None or self.state.enabled)


def list_triggers(store: TriggerPorts, flows: Flows, namespace: str | None = None, flow_id: str | None = None, *,
                  tenant: str = MAIN) -> list[TriggerRow]:
    """The triggers of the live flows of `tenant` (of one namespace and/or flow id), by namespace, flow and
    declaration order. A flow whose source no longer parses (a plugin was removed) is skipped with a warning."""
    states = {(s.namespace, s.flow_id, s.trigger_id): s for s in store.trigger_states(namespace, flow_id, tenant=tenant)}
    rows: list[TriggerRow] = []
    for record in store.list_flows(namespace, tenant=tenant):
        if flow_id is not None and record.id != flow_id:
            continue
        try:
            flow = flows.of(record)
        except FlowValidationError as exc:
            log.warning("skipping the triggers of flow %s.%s, which does not load: %s", record.namespace, record.id, exc)
            continue
        for trigger in flow.triggers or ():
            rows.append(TriggerRow(
                namespace=record.namespace, flow_id=record.id, trigger_id=trigger.id, type=trigger.type,
                disabled_in_source=trigger.disabled, state=states.get((record.namespace, record.id, trigger.id)),
                definition=trigger,
            ))
    return rows


def find_trigger(store: FlowReader, flows: Flows, namespace: str, flow_id: str, trigger_id: str, *,
                 tenant: str = MAIN) -> Trigger:
    """A trigger of a live deployed flow of `tenant`; NotFoundError (naming the flow's triggers) when there is none."""
    record = store.get_flow(namespace, flow_id, tenant=tenant)
    if record is None or record.deleted:
        raise NotFoundError(f"flow {namespace}.{flow_id} not found")
    flow = flows.of(record)
    by_id = {t.id: t for t in flow.triggers or ()}
    trigger = by_id.get(trigger_id)
    if trigger is None:
        known = f"its triggers: {', '.join(by_id)}" if by_id else "it has no triggers"
        raise NotFoundError(f"flow {namespace}.{flow_id} has no trigger '{trigger_id}'{suggest(trigger_id, list(by_id))}; {known}")
    return trigger


def set_trigger_enabled(store: TriggerPorts, flows: Flows, namespace: str, flow_id: str, trigger_id: str, enabled: bool, *,
                        by: Principal, now: datetime) -> TriggerRow:
    """Enable or disable a trigger of a deployed flow; NotFoundError when the flow or the trigger does not exist."""
    require(by, Resource.TRIGGER, Action.UPDATE, namespace)
    trigger = find_trigger(store, flows, namespace, flow_id, trigger_id, tenant=by.tenant)
    before = store.get_trigger_state(namespace, flow_id, trigger_id, tenant=by.tenant)
    with _audited(store, by, "UPDATE", namespace, flow_id, trigger_id, now,
                  audit.changed({"disabled": before.disabled if before else None}, {"disabled": not enabled})):
        state = store.set_trigger_disabled(namespace, flow_id, trigger_id, not enabled, now, tenant=by.tenant)
    return TriggerRow(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, type=trigger.type,
                      disabled_in_source=trigger.disabled, state=state)


def unlock_trigger(store: TriggerPorts, flows: Flows, namespace: str, flow_id: str, trigger_id: str, *, by: Principal,
                   now: datetime) -> TriggerRow:
    """Forget the execution a trigger waits for, so it fires again; NotFoundError for an unknown trigger,
    ConflictError when it is not locked."""
    require(by, Resource.TRIGGER, Action.UPDATE, namespace)
    trigger = find_trigger(store, flows, namespace, flow_id, trigger_id, tenant=by.tenant)
    state = store.get_trigger_state(namespace, flow_id, trigger_id, tenant=by.tenant)
    if state is None or not state.locked_execution_id:
        raise ConflictError(f"trigger {trigger_id} of {namespace}.{flow_id} is not locked")
    with _audited(store, by, "UNLOCK", namespace, flow_id, trigger_id, now,
                  {"executionId": state.locked_execution_id}):
        state = store.unlock_trigger(namespace, flow_id, trigger_id, now, tenant=by.tenant)
    return TriggerRow(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, type=trigger.type,
                      disabled_in_source=trigger.disabled, state=state)


def restart_trigger(store: TriggerPorts, flows: Flows, namespace: str, flow_id: str, trigger_id: str, *, by: Principal,
                   now: datetime) -> TriggerRow:
    """Start a trigger afresh from now: its lock and its source's lease are cleared (a polling or realtime
    source is started again by the next scheduler that takes it) and dates before now are not recovered."""
    require(by, Resource.TRIGGER, Action.UPDATE, namespace)
    trigger = find_trigger(store, flows, namespace, flow_id, trigger_id, tenant=by.tenant)
    with _audited(store, by, "RESTART", namespace, flow_id, trigger_id, now, None):
        state = store.restart_trigger(namespace, flow_id, trigger_id, now, tenant=by.tenant)
    return TriggerRow(namespace=namespace, flow_id=flow_id, trigger_id=trigger_id, type=trigger.type,
                      disabled_in_source=trigger.disabled, state=state)


def _audited(store: TriggerPorts, by: Principal, action: str, namespace: str, flow_id: str, trigger_id: str,
             now: datetime, details: dict[str, Any] | None) -> AbstractContextManager[None]:
    return audit.action(store, by, action, "TRIGGER", f"{namespace}.{flow_id}.{trigger_id}", namespace=namespace,
                        now=now, details=details)
