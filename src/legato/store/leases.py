"""Trigger leases: each polling/realtime trigger source runs in one live process at a time.

A process takes a trigger's lease by writing its id and an expiry (database clock) on the trigger's row
when nobody holds it, it already does, or the holder's lease expired; it renews all its leases with one
UPDATE per heartbeat and gives them back at a clean stop. A process that dies stops renewing, so another
takes the trigger over once the lease expires. Fires carry the owner (TriggerFire.lease_owner) and are
refused once the lease moved on, so a process that stalled past its lease cannot fire behind the new owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Connection, and_, bindparam, or_, tuple_, update

from legato.store.dialect import Dialect, UtcDateTime
from legato.store.ports import SourceLease, TriggerKey
from legato.store.schema import triggers

_t = triggers.c
_KEY = ((_t.tenant == bindparam("b_tenant")) & (_t.namespace == bindparam("b_ns")) & (_t.flow_id == bindparam("b_flow"))
        & (_t.trigger_id == bindparam("b_trigger")))
_OWNER: BindParameter[str] = bindparam("b_owner")
_NOW = bindparam("b_now", type_=UtcDateTime())
_UNTIL = bindparam("b_until", type_=UtcDateTime())


class LeaseQueries:
    """Named queries over the lease columns of the triggers table."""

    def __init__(self, dialect: Dialect):
        self._dialect = dialect
        self._create = dialect.insert_ignore(triggers, ["tenant", "namespace", "flow_id", "trigger_id"])
        free = or_(_t.lease_owner.is_(None), _t.lease_owner == _OWNER, _t.lease_expires_at < _NOW)
        self._claim = (
            update(triggers).where(and_(_KEY, free)).values(lease_owner=_OWNER, lease_expires_at=_UNTIL)
            .returning(_t.source_state, _t.locked_execution_id)
        )
        self._renew = (
            update(triggers).where(_t.lease_owner == _OWNER).values(lease_expires_at=_UNTIL)
            .returning(_t.tenant, _t.namespace, _t.flow_id, _t.trigger_id)
        )

    def now(self, conn: Connection) -> datetime:
        """The database's clock."""
        return self._dialect.database_now(conn)

    def claim(self, conn: Connection, key: TriggerKey, owner: str, seconds: float) -> SourceLease | None:
        """Take or keep the lease of one trigger (its row created when absent); None when another holds it."""
        now = self.now(conn)
        conn.execute(self._create, {"tenant": key[0], "namespace": key[1], "flow_id": key[2], "trigger_id": key[3],
                                    "disabled": False, "updated": now})
        until = now + timedelta(seconds=seconds)
        row = conn.execute(self._claim, {**_key(key), "b_owner": owner, "b_now": now, "b_until": until}).first()
        if row is None:
            return None
        return SourceLease(namespace=key[1], flow_id=key[2], trigger_id=key[3], owner=owner, expires_at=until,
                           source_state=dict(row.source_state or {}), locked_execution_id=row.locked_execution_id,
                           tenant=key[0])

    def renew(self, conn: Connection, owner: str, seconds: float) -> set[TriggerKey]:
        """Extend every lease of `owner`; the keys of those."""
        until = self.now(conn) + timedelta(seconds=seconds)
        rows = conn.execute(self._renew, {"b_owner": owner, "b_until": until})
        return {(r.tenant, r.namespace, r.flow_id, r.trigger_id) for r in rows}

    def release(self, conn: Connection, owner: str, keys: Sequence[TriggerKey] | None) -> int:
        """Clear `owner`'s leases (of `keys`, or all); how many."""
        statement = update(triggers).where(_t.lease_owner == owner).values(lease_owner=None, lease_expires_at=None)
        if keys is not None:
            if not keys:
                return 0
            statement = statement.where(tuple_(_t.tenant, _t.namespace, _t.flow_id, _t.trigger_id).in_([tuple(k) for k in keys]))
        return conn.execute(statement).rowcount


def _key(key: TriggerKey) -> dict[str, Any]:
    return {"b_tenant": key[0], "b_ns": key[1], "b_flow": key[2], "b_trigger": key[3]}
