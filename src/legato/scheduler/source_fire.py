"""Turning what a polling or realtime trigger source found into one execution, exactly once per fire key.

The execution, the fire key and the source's new cursor are written in one transaction (Store.fire_trigger,
fenced by the trigger's lease). Trigger variables larger than `inline_limit` once serialised go to internal
storage first, under the new execution's folder: the biggest values move to JSON files and `trigger.uri`
(plus `trigger.uris`, one per moved key) point at them, as Kestra does for large trigger outputs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from legato import instance_vars, logfields
from legato.engine import events as ev
from legato.engine.start import new_execution
from legato.expressions import ExpressionError, Renderer
from legato.model.errors import InputsError
from legato.model.flow import Flow
from legato.model.ids import new_id
from legato.model.triggers import Trigger
from legato.scheduler import conditions as cond
from legato.scheduler.failures import describe, trigger_failed
from legato.storage import Storage, uris
from legato.storage.tenants import of_tenant
from legato.store.ports import MAIN, FireOutcome, FlowRecord, TriggerFire, TriggerStore

log = logging.getLogger("legato.scheduler.sources")

INLINE_LIMIT = 64 * 1024  # bytes of JSON kept in the execution row; beyond, values move to files


@dataclass(frozen=True)
class SourceTarget:
    """One running trigger source: the flow revision it belongs to and the trigger's model."""

    record: FlowRecord
    flow: Flow
    trigger: Trigger

    @property
    def key(self) -> tuple[str, str, str]:
        """(namespace, flow id, trigger id) in the flow's tenant (`tenant`)."""
        return (self.record.namespace, self.record.id, self.trigger.id)

    @property
    def tenant(self) -> str:
        return self.record.tenant

    def label(self) -> str:
        return f"trigger {self.trigger.id} of flow {self.record.namespace}.{self.record.id}" + (
            "" if self.record.tenant == MAIN else f" (tenant {self.record.tenant})")

    def storage(self, storage: Storage) -> Storage:
        """`storage` as the flow's tenant sees it."""
        return of_tenant(storage, self.record.tenant)


class SourceFirer:
    """Creates the executions of trigger sources."""

    def __init__(self, store: TriggerStore, storage: Storage, renderer: Renderer, clock: Callable[[], datetime],
                 *, inline_limit: int = INLINE_LIMIT):
        self.store = store
        self.storage = storage
        self.renderer = renderer
        self.clock = clock
        self.inline_limit = inline_limit

    def fire(self, target: SourceTarget, variables: Mapping[str, Any], *, key: str | None, state: dict[str, Any] | None,
             owner: str, exclusive: bool, next_in: timedelta | None = None) -> tuple[FireOutcome | str, str | None]:
        """Create the execution (blocking); (outcome, execution id). Outcome 'skipped' when the trigger's
        conditions do not hold or its inputs are invalid (logged)."""
        execution_id = new_id()
        trigger_vars, moved = self._inline(target, execution_id, dict(variables))
        outcome: FireOutcome | str = "skipped"
        try:
            outcome = self._fire(target, execution_id, trigger_vars, key=key, state=state, owner=owner,
                                 exclusive=exclusive, next_in=next_in)
        finally:
            if outcome != "fired":
                files = target.storage(self.storage)
                for uri in moved:
                    files.delete(uri)  # the files of an execution that was not created
        return outcome, execution_id if outcome == "fired" else None

    def _fire(self, target: SourceTarget, execution_id: str, trigger_vars: dict[str, Any], *, key: str | None,
              state: dict[str, Any] | None, owner: str, exclusive: bool, next_in: timedelta | None) -> FireOutcome | str:
        now = self.clock()
        context = {"trigger": trigger_vars, "flow": _flow_vars(target)}
        fire = TriggerFire(namespace=target.record.namespace, flow_id=target.record.id, trigger_id=target.trigger.id,
                           key=key or f"uuid:{execution_id}", date=now, next_date=now + next_in if next_in else None,
                           exclusive=exclusive, state=state, lease_owner=owner, tenant=target.tenant)
        try:
            if not cond.all_hold(target.trigger.conditions, cond.ConditionContext(variables=context, renderer=self.renderer, date=now)):
                return "skipped"
            execution = new_execution(
                target.flow, target.record.revision, self._inputs(target.trigger, context), execution_id=execution_id,
                now=now, renderer=self.renderer, labels={lb.key: lb.value for lb in target.trigger.labels},
                trigger=trigger_vars, tenant=target.tenant,
            )
        except (cond.ConditionError, InputsError, ExpressionError, ValueError) as exc:
            failed = trigger_failed(self.store, target.record, target.flow, target.trigger,
                                    f"no execution created: {describe(exc)}", now, fire, trigger_vars, execution_id)
            return "fired" if failed else "skipped"
        outcome = self.store.fire_trigger(fire, execution, ev.ExecutionCreated(), now)
        if outcome == "fired":
            log.info("%s fired: execution %s", target.label(), execution_id,
                     extra=logfields.lifecycle("trigger-fired", execution_id=execution_id))
        return outcome

    def fail(self, target: SourceTarget, error: str, *, owner: str, next_in: timedelta | None = None) -> str | None:
        """The source failed (a poll or its consumer raised): recorded, and with failOnTriggerError a FAILED
        execution (blocking); that execution's id, if any."""
        now = self.clock()
        fire = TriggerFire(namespace=target.record.namespace, flow_id=target.record.id, trigger_id=target.trigger.id,
                           key=f"failure:{new_id()}", date=now, next_date=now + next_in if next_in else None,
                           lease_owner=owner, tenant=target.tenant)
        return trigger_failed(self.store, target.record, target.flow, target.trigger, error, now, fire, {})

    def _inline(self, target: SourceTarget, execution_id: str, variables: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """`variables` with its biggest values moved to internal storage until the rest fits the limit, and the
        URIs of the files written."""
        sizes = {k: len(_dumps(v)) for k, v in variables.items()}
        if sum(sizes.values()) <= self.inline_limit:
            return variables, []
        prefix = uris.join(uris.execution_prefix(target.record.namespace, target.record.id, execution_id),
                           f"trigger/{target.trigger.id}")
        moved: dict[str, str] = {}
        files = target.storage(self.storage)
        for name in sorted(sizes, key=lambda k: -sizes[k]):
            if sum(sizes.values()) <= self.inline_limit:
                break
            uri = files.put(uris.join(prefix, f"{name}.json"), _dumps(variables.pop(name)).encode())
            moved[name] = uri
            sizes.pop(name)
        variables["uris"] = moved
        variables.setdefault("uri", next(iter(moved.values())))
        return variables, list(moved.values())

    def _inputs(self, trigger: Trigger, context: dict[str, Any]) -> dict[str, Any]:
        """The trigger's inputs, text rendered with the trigger's variables (`{{ trigger.rows }}`)."""
        return {k: self.renderer.render_typed(v, context) if isinstance(v, str) else v
                for k, v in (trigger.inputs or {}).items()}


def _flow_vars(target: SourceTarget) -> dict[str, Any]:
    return {"id": target.record.id, "namespace": target.record.namespace, "revision": target.record.revision,
            "tenantId": target.record.tenant}


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def render_context(target: SourceTarget) -> dict[str, Any]:
    """What a source's properties are rendered against: the flow, its variables, no execution yet."""
    return {"flow": _flow_vars(target), "vars": dict(target.flow.variables or {}), "envs": instance_vars.Envs(),
            "globals": instance_vars.globals_(),
            "trigger": {"id": target.trigger.id, "type": target.trigger.type}}
