"""A trigger that fails to evaluate (a poll or consumer raising, a condition or input that cannot be rendered).

The failure is logged and kept on the trigger's state, where the API and the UI show it until the trigger
works again (its next fire clears it). With `failOnTriggerError: true` it also becomes a FAILED execution
carrying the error, created exactly once in the place of the one the evaluation would have created: same
fire key, same transaction rules (Store.fire_trigger), so flows triggered by failures (alerts) see it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from legato.engine import events as ev
from legato.engine.start import failure_execution
from legato.model.flow import Flow
from legato.model.ids import new_id
from legato.model.triggers import Trigger
from legato.store.ports import FlowRecord, TriggerFire, TriggerStore

log = logging.getLogger("legato.scheduler")

MAX_ERROR = 4000  # characters of an error kept on the trigger's state


def trigger_failed(store: TriggerStore, record: FlowRecord, flow: Flow, trigger: Trigger, error: str, now: datetime,
                   fire: TriggerFire, variables: Mapping[str, Any], execution_id: str | None = None) -> str | None:
    """Record the failure (blocking); the id of the FAILED execution created for it, if any. `fire` is the
    fire the evaluation was for, `variables` the trigger variables known so far."""
    error = error[:MAX_ERROR]
    log.error("trigger %s of flow %s.%s failed: %s", trigger.id, record.namespace, record.id, error)
    if trigger.failOnTriggerError:
        execution = failure_execution(flow, record.revision, execution_id=execution_id or new_id(), now=now,
                                      trigger=dict(variables), failure=f"trigger {trigger.id} failed: {error}",
                                      labels={lb.key: lb.value for lb in trigger.labels}, tenant=record.tenant)
        outcome = store.fire_trigger(dataclasses.replace(fire, error=error), execution, ev.ExecutionCreated(), now)
        if outcome == "fired":
            return execution.id
    store.set_trigger_error(record.namespace, record.id, trigger.id, error, now, tenant=record.tenant)
    return None


def describe(exc: BaseException) -> str:
    """An exception as one line for people: its type, and its message when it has one."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
