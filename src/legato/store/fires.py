"""Trigger fires: creating a trigger's execution exactly once, however many schedulers try at the same time.

The fire's unique key (flow, trigger, scheduled date or upstream execution) is inserted with
insert-if-absent in the transaction that creates the execution and moves the trigger's dates; whoever
inserts it second finds the row there and writes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from legato.model import state as states
from legato.store.dialect import Dialect, Json, UtcDateTime
from legato.store.ports import TriggerFire
from legato.store.schema import executions, trigger_fires, triggers

_t = triggers.c
_KEY = ((_t.tenant == bindparam("b_tenant")) & (_t.namespace == bindparam("b_ns")) & (_t.flow_id == bindparam("b_flow"))
        & (_t.trigger_id == bindparam("b_trigger")))
Key = tuple[str, str, str, str]  # (tenant, namespace, flow id, trigger id)
_TERMINAL = sorted(s.value for s in states.TERMINAL)


class FireQueries:
    """Named queries over trigger_fires and the trigger rows a fire moves."""

    def __init__(self, dialect: Dialect):
        # Creates the row when absent, else touches it, which locks it until commit (PostgreSQL: two schedulers
        # firing one trigger queue here; SQLite has one writer anyway); one round trip either way.
        self._lock_state = dialect.upsert(triggers, ["tenant", "namespace", "flow_id", "trigger_id"], ["updated"]).returning(triggers)
        self._insert_fire = dialect.insert_ignore(trigger_fires, ["tenant", "namespace", "flow_id", "trigger_id", "fire_key"])
        self._active = select(executions.c.id).where(
            executions.c.id == bindparam("id"), executions.c.state.not_in(_TERMINAL)
        )
        self._move = update(triggers).where(_KEY).values(
            last_date=bindparam("b_last", type_=UtcDateTime()), next_date=bindparam("b_next", type_=UtcDateTime()),
            locked_execution_id=bindparam("b_locked"), updated=bindparam("b_now", type_=UtcDateTime()),
        )
        self._save_state = update(triggers).where(_KEY).values(source_state=bindparam("b_state", type_=Json()))
        self._prune = delete(trigger_fires).where(trigger_fires.c.created < bindparam("before", type_=UtcDateTime()))

    def lock_state(self, conn: Connection, key: Key, now: datetime) -> Any:
        """The trigger's row, created enabled when absent, locked until commit."""
        tenant, namespace, flow_id, trigger_id = key
        row = {"tenant": tenant, "namespace": namespace, "flow_id": flow_id, "trigger_id": trigger_id, "disabled": False,
               "updated": now}
        return conn.execute(self._lock_state, row).one()

    def is_active(self, conn: Connection, execution_id: str) -> bool:
        """Whether the execution exists and has not ended."""
        return conn.execute(self._active, {"id": execution_id}).first() is not None

    def insert_fire(self, conn: Connection, fire: TriggerFire, execution_id: str, now: datetime) -> bool:
        """Record the fire's key; False when it was already recorded."""
        row = {
            "tenant": fire.tenant, "namespace": fire.namespace, "flow_id": fire.flow_id, "trigger_id": fire.trigger_id,
            "fire_key": fire.key, "execution_id": execution_id, "created": now,
        }
        return conn.execute(self._insert_fire, row).rowcount == 1

    def move(self, conn: Connection, state: Any, trigger_key: Key, last: datetime | None,
             next_date: datetime | None, locked: str | None, now: datetime) -> None:
        """Set the trigger's dates, never backwards, and the execution it waits for."""
        if last is None:
            last = state.last_date  # only the next date was computed afresh
        elif state.last_date is not None and last <= state.last_date:
            last, next_date = state.last_date, state.next_date  # another scheduler already went further
        params = {**_key(*trigger_key), "b_last": last, "b_next": next_date, "b_locked": locked, "b_now": now}
        conn.execute(self._move, params)

    def save_state(self, conn: Connection, trigger_key: Key, source_state: dict[str, Any]) -> None:
        """Store a polling/realtime source's cursor."""
        conn.execute(self._save_state, {**_key(*trigger_key), "b_state": source_state})

    def prune(self, conn: Connection, before: datetime) -> int:
        """Forget fires recorded before `before`; how many."""
        return conn.execute(self._prune, {"before": before}).rowcount


def _key(tenant: str, namespace: str, flow_id: str, trigger_id: str) -> dict[str, Any]:
    return {"b_tenant": tenant, "b_ns": namespace, "b_flow": flow_id, "b_trigger": trigger_id}
