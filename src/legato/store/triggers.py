"""Trigger state: enabled or not, next and last dates, and the execution a trigger waits for; per tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, not_, select, update

from legato.store.dialect import Dialect, UtcDateTime
from legato.store.ports import TriggerState
from legato.store.schema import trigger_backfills, trigger_preconditions, triggers

_t = triggers.c
_ORDER = (_t.tenant, _t.namespace, _t.flow_id, _t.trigger_id)
# Bind names differ from column names: SQLAlchemy reserves a column's name in UPDATE ... SET.
_KEY = ((_t.tenant == bindparam("b_tenant")) & (_t.namespace == bindparam("b_ns")) & (_t.flow_id == bindparam("b_flow"))
        & (_t.trigger_id == bindparam("b_trigger")))


class TriggerQueries:
    """Named queries over the triggers table."""

    def __init__(self, dialect: Dialect):
        self._get = select(triggers).where(_KEY)
        self._create = dialect.insert_ignore(triggers, ["tenant", "namespace", "flow_id", "trigger_id"])
        now = bindparam("b_now", type_=UtcDateTime())
        self._set_disabled = (
            update(triggers).where(_KEY).values(disabled=bindparam("b_disabled"), updated=now).returning(triggers)
        )
        self._flip_disabled = update(triggers).where(_KEY).values(disabled=not_(_t.disabled), updated=now).returning(triggers)
        self._unlock = update(triggers).where(_KEY).values(locked_execution_id=None, updated=now).returning(triggers)
        self._set_error = update(triggers).where(_KEY).values(
            error=bindparam("b_error"), error_date=bindparam("b_error_date", type_=UtcDateTime()))

    def get(self, conn: Connection, namespace: str, flow_id: str, trigger_id: str, tenant: str) -> TriggerState | None:
        """One trigger's state, or None when nothing was stored for it."""
        row = conn.execute(self._get, _key(tenant, namespace, flow_id, trigger_id)).first()
        return _state(row) if row else None

    def find(self, conn: Connection, namespace: str | None, flow_id: str | None, tenant: str | None) -> list[TriggerState]:
        """States by tenant, namespace, flow and trigger id, optionally of one tenant, namespace and/or flow id."""
        query = select(triggers).order_by(*_ORDER)
        if tenant is not None:
            query = query.where(_t.tenant == tenant)
        if namespace is not None:
            query = query.where(_t.namespace == namespace)
        if flow_id is not None:
            query = query.where(_t.flow_id == flow_id)
        return [_state(r) for r in conn.execute(query)]

    def set_disabled(self, conn: Connection, namespace: str, flow_id: str, trigger_id: str, disabled: bool | None,
                     now: datetime, tenant: str) -> TriggerState:
        """Set (None: flip) the disabled flag, creating the row as enabled first when absent."""
        row = {"tenant": tenant, "namespace": namespace, "flow_id": flow_id, "trigger_id": trigger_id, "disabled": False, "updated": now}
        conn.execute(self._create, row)
        # One UPDATE reads and writes the flag, so concurrent flips each see the other's result.
        params = {**_key(tenant, namespace, flow_id, trigger_id), "b_now": now}
        if disabled is None:
            result = conn.execute(self._flip_disabled, params).one()
        else:
            result = conn.execute(self._set_disabled, {**params, "b_disabled": disabled}).one()
        return _state(result)

    def unlock(self, conn: Connection, namespace: str, flow_id: str, trigger_id: str, now: datetime,
               tenant: str) -> TriggerState | None:
        """Clear the execution the trigger waits for; None when the trigger has no state."""
        row = conn.execute(self._unlock, {**_key(tenant, namespace, flow_id, trigger_id), "b_now": now}).first()
        return _state(row) if row else None

    def set_error(self, conn: Connection, namespace: str, flow_id: str, trigger_id: str, error: str | None,
                  now: datetime, tenant: str) -> None:
        """Record the trigger's latest evaluation error (None clears it), creating the row when absent."""
        if error is not None:
            row = {"tenant": tenant, "namespace": namespace, "flow_id": flow_id, "trigger_id": trigger_id, "disabled": False, "updated": now}
            conn.execute(self._create, row)
        params = {**_key(tenant, namespace, flow_id, trigger_id), "b_error": error, "b_error_date": now if error else None}
        conn.execute(self._set_error, params)


    def forget_flow(self, conn: Connection, namespace: str, flow_id: str, tenant: str) -> int:
        """Delete what a deleted flow's triggers kept (as Kestra's scheduler does on a flow's deletion): their
        states, Flow trigger precondition windows and backfills. Fire keys stay, pruned by age: they keep a date
        from firing twice should the flow come back. How many trigger states were deleted."""
        count = 0
        for table in (triggers, trigger_preconditions, trigger_backfills):
            c = table.c
            found = conn.execute(delete(table).where(c.tenant == tenant, c.namespace == namespace, c.flow_id == flow_id))
            count += found.rowcount if table is triggers else 0
        return count


def _key(tenant: str, namespace: str, flow_id: str, trigger_id: str) -> dict[str, Any]:
    return {"b_tenant": tenant, "b_ns": namespace, "b_flow": flow_id, "b_trigger": trigger_id}


def _state(row: Row[Any]) -> TriggerState:
    return TriggerState(
        namespace=row.namespace, flow_id=row.flow_id, trigger_id=row.trigger_id, disabled=bool(row.disabled),
        next_date=row.next_date, last_date=row.last_date, locked_execution_id=row.locked_execution_id,
        updated=row.updated, lease_owner=row.lease_owner, lease_expires_at=row.lease_expires_at,
        source_state=row.source_state, error=row.error, error_date=row.error_date, tenant=row.tenant,
    )
