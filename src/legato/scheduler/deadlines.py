"""Kestra 2.0's `onMiss` of a Flow trigger: once its `window.deadline` has passed on a day and the trigger did
not fire in that day's window, a FAILED execution of its flow records the miss (with `onMiss.labels`), so that
alerting flows can react. Created exactly once per trigger and day, whatever the number of schedulers: the day
is the fire key (Store.fire_trigger).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, time
from typing import Protocol

from legato import logfields
from legato.engine import events as ev
from legato.engine.start import failure_execution
from legato.model.ids import new_id
from legato.model.triggers import DependsOnWindow, FlowTrigger
from legato.scheduler import preconditions as pre
from legato.scheduler.flow_triggers import Listener
from legato.store.ports import ExecutionEnds, TriggerFire, TriggerStore


class DeadlineStore(TriggerStore, ExecutionEnds, Protocol):
    """What the deadline checks use: the preconditions met, and fires."""


log = logging.getLogger("legato.scheduler.flow")


def missed(store: DeadlineStore, listeners: Iterable[Listener], now: datetime) -> int:
    """Record today's missed deadlines of `listeners`; how many FAILED executions were created."""
    created = 0
    for listener in listeners:
        trigger = listener.trigger
        deadline = _deadline_today(trigger, listener.plan, now)
        if deadline is None or now <= deadline or listener.record.updated > deadline:
            continue  # not due yet, or the flow (re)deployed after it: nothing was expected of it today
        if _fired_in(store, listener, deadline):
            continue
        created += _record_miss(store, listener, deadline, now)
    return created


def _deadline_today(trigger: FlowTrigger, plan: pre.Plan | None, now: datetime) -> datetime | None:
    if trigger.onMiss is None or trigger.onMiss.behavior != "FAIL" or plan is None:
        return None
    if not isinstance(trigger.window, DependsOnWindow) or plan.window.end_time is None:
        return None
    return datetime.combine(now.astimezone(UTC).date(), plan.window.end_time, UTC)


def _fired_in(store: DeadlineStore, listener: Listener, deadline: datetime) -> bool:
    state = store.get_precondition(listener.record.namespace, listener.record.id, listener.trigger.id,
                                   tenant=listener.record.tenant)
    if state is None or state.window_start is None:
        return False
    day_start = datetime.combine(deadline.date(), time(0), UTC)
    return state.window_start == day_start and pre.FIRED in state.met


def _record_miss(store: DeadlineStore, listener: Listener, deadline: datetime, now: datetime) -> int:
    record, trigger = listener.record, listener.trigger
    assert trigger.onMiss is not None
    labels = {lb.key: lb.value for lb in trigger.labels}
    labels |= {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (trigger.onMiss.labels or {}).items()}
    failure = (f"Flow trigger {trigger.id}: its dependencies were not all satisfied by the deadline "
               f"{deadline.time().isoformat()} UTC")
    execution = failure_execution(listener.flow, record.revision, execution_id=new_id(), now=now, failure=failure,
                                  trigger={"id": trigger.id, "date": deadline.isoformat(), "missed": True}, labels=labels,
                                  tenant=record.tenant)
    fire = TriggerFire(namespace=record.namespace, flow_id=record.id, trigger_id=trigger.id,
                       key=f"onMiss:{deadline.date().isoformat()}", date=now, tenant=record.tenant)
    if store.fire_trigger(fire, execution, ev.ExecutionCreated(), now) != "fired":
        return 0
    log.warning("Flow trigger %s of flow %s.%s missed its deadline: execution %s", trigger.id, record.namespace,
                record.id, execution.id, extra=logfields.lifecycle("trigger-deadline-missed", execution_id=execution.id))
    return 1
