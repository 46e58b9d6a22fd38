"""Backfills of Schedule triggers (one per trigger of a tenant at most) and restarting a trigger's state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, String, bindparam, case, delete, func, select, update

from legato.store.dialect import Dialect, UtcDateTime
from legato.store.ports import BackfillState
from legato.store.schema import trigger_backfills, triggers

_b = trigger_backfills.c
_KEY = ((_b.tenant == bindparam("b_tenant")) & (_b.namespace == bindparam("b_ns")) & (_b.flow_id == bindparam("b_flow"))
        & (_b.trigger_id == bindparam("b_trigger")))
_T_KEY = ((triggers.c.tenant == bindparam("b_tenant")) & (triggers.c.namespace == bindparam("b_ns"))
          & (triggers.c.flow_id == bindparam("b_flow")) & (triggers.c.trigger_id == bindparam("b_trigger")))
Key = tuple[str, str, str, str]  # (tenant, namespace, flow id, trigger id)


class BackfillQueries:
    """Named queries over trigger_backfills, and the trigger restart."""

    def __init__(self, dialect: Dialect):
        self._create = dialect.insert_ignore(trigger_backfills, ["tenant", "namespace", "flow_id", "trigger_id"])
        self._get = select(trigger_backfills).where(_KEY)
        now = bindparam("b_now", type_=UtcDateTime())
        self._pause = update(trigger_backfills).where(_KEY).values(paused=bindparam("b_paused"), updated=now)
        self._delete = delete(trigger_backfills).where(_KEY)
        cursor = bindparam("b_cursor", type_=UtcDateTime())
        self._advance = update(trigger_backfills).where(_KEY).values(
            cursor_date=case((_b.cursor_date < cursor, cursor), else_=_b.cursor_date),
            fired=_b.fired + bindparam("b_fired"),
            execution_id=func.coalesce(bindparam("b_exec", type_=String(64)), _b.execution_id),
            updated=now,
        )
        self._restart = update(triggers).where(_T_KEY).values(
            locked_execution_id=None, lease_owner=None, lease_expires_at=None, last_date=now, next_date=None,
            updated=now, error=None, error_date=None,
        )

    def create(self, conn: Connection, b: BackfillState) -> bool:
        """Insert the backfill unless the trigger has one; whether it was inserted."""
        row = {
            "tenant": b.tenant, "namespace": b.namespace, "flow_id": b.flow_id, "trigger_id": b.trigger_id, "start_date": b.start,
            "end_date": b.end, "cursor_date": b.cursor, "paused": b.paused, "inputs": b.inputs,
            "labels": b.labels, "fired": b.fired, "execution_id": b.execution_id, "created": b.created,
            "updated": b.updated,
        }
        return conn.execute(self._create, row).rowcount == 1

    def get(self, conn: Connection, key: Key) -> BackfillState | None:
        """One trigger's backfill."""
        row = conn.execute(self._get, _key(*key)).first()
        return _state(row) if row else None

    def find(self, conn: Connection, namespace: str | None, flow_id: str | None, tenant: str | None) -> list[BackfillState]:
        """Backfills by tenant, namespace, flow and trigger id, optionally filtered."""
        query = select(trigger_backfills).order_by(_b.tenant, _b.namespace, _b.flow_id, _b.trigger_id)
        if tenant is not None:
            query = query.where(_b.tenant == tenant)
        if namespace is not None:
            query = query.where(_b.namespace == namespace)
        if flow_id is not None:
            query = query.where(_b.flow_id == flow_id)
        return [_state(r) for r in conn.execute(query)]

    def set_paused(self, conn: Connection, key: Key, paused: bool, now: datetime) -> bool:
        """Pause or resume; whether there was a backfill."""
        return conn.execute(self._pause, {**_key(*key), "b_paused": paused, "b_now": now}).rowcount == 1

    def delete(self, conn: Connection, key: Key) -> bool:
        """Drop the backfill; whether there was one."""
        return conn.execute(self._delete, _key(*key)).rowcount == 1

    def advance(self, conn: Connection, key: Key, cursor: datetime, execution_id: str | None,
                fired: int, now: datetime) -> None:
        """Move the cursor forward only, count executions, remember the last one."""
        conn.execute(self._advance, {**_key(*key), "b_cursor": cursor, "b_fired": fired, "b_exec": execution_id,
                                     "b_now": now})

    def restart(self, conn: Connection, key: Key, now: datetime) -> bool:
        """Clear the trigger's lock, lease and dates (last date = now); whether it had a state."""
        return conn.execute(self._restart, {**_key(*key), "b_now": now}).rowcount == 1


def _key(tenant: str, namespace: str, flow_id: str, trigger_id: str) -> dict[str, Any]:
    return {"b_tenant": tenant, "b_ns": namespace, "b_flow": flow_id, "b_trigger": trigger_id}


def _state(row: Row[Any]) -> BackfillState:
    return BackfillState(
        namespace=row.namespace, flow_id=row.flow_id, trigger_id=row.trigger_id, start=row.start_date,
        end=row.end_date, cursor=row.cursor_date, paused=bool(row.paused), inputs=row.inputs,
        labels=dict(row.labels or {}), fired=row.fired, execution_id=row.execution_id, created=row.created,
        updated=row.updated, tenant=row.tenant,
    )
