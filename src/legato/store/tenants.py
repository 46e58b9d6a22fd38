"""The tenant registry over SQL: one row per tenant besides `main`, and the purge of a deleted tenant's rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Table, bindparam, delete, false, func, insert, select, update

from legato.store import schema
from legato.store.ports.tenants import MAIN, TenantRecord
from legato.store.schema import executions, flows, tenants

# Every table with a `tenant` column whose rows go with their tenant, children before parents. The audit log stays:
# it outlives what it records, and it records the deletion.
_TENANT_TABLES: tuple[Table, ...] = (
    schema.flows, schema.execution_days, schema.execution_day_deltas, schema.kv, schema.triggers,
    schema.trigger_fires, schema.trigger_preconditions, schema.trigger_backfills, schema.test_results,
    schema.test_suites, schema.secrets, schema.bindings, schema.dashboards, schema.apps, schema.asset_usages,
    schema.assets, schema.scim_integrations,
)

_t = tenants.c
_MAIN = TenantRecord(MAIN, "Main")


class TenantQueries:
    """Named queries over the tenants table."""

    def __init__(self) -> None:
        self._get = select(tenants).where(_t.id == bindparam("tid"))
        self._list = select(tenants).order_by(_t.id)
        self._insert = insert(tenants)
        self._rename = update(tenants).where(_t.id == bindparam("tid")).values(
            display_name=bindparam("name"), updated=bindparam("now"))
        self._delete = delete(tenants).where(_t.id == bindparam("tid"))
        self._flows = select(func.count()).select_from(flows).where(
            flows.c.tenant == bindparam("tid"), flows.c.deleted == false())
        self._running = select(func.count()).select_from(executions).where(
            executions.c.tenant == bindparam("tid"), executions.c.ended.is_(None))
        ids = select(executions.c.id).where(executions.c.tenant == bindparam("tid"))
        runs = select(schema.task_runs.c.id).where(schema.task_runs.c.execution_id.in_(ids))
        # an execution's rows first (they have no tenant column of their own), then the executions (their
        # roll-up triggers write deltas, deleted after), then the tenant's other rows
        self._purge: list[Any] = [
            delete(schema.loop_items).where(schema.loop_items.c.task_run_id.in_(runs)),
            *(delete(t).where(t.c.execution_id.in_(ids)) for t in (schema.task_runs, schema.jobs, schema.events,
                                                                   schema.timers, schema.logs, schema.execution_ends)),
            delete(executions).where(executions.c.tenant == bindparam("tid")),
            *(delete(t).where(t.c.tenant == bindparam("tid")) for t in _TENANT_TABLES),
        ]

    def get(self, conn: Connection, tenant_id: str) -> TenantRecord | None:
        """One tenant (`main` without a row too)."""
        row = conn.execute(self._get, {"tid": tenant_id}).first()
        if row is not None:
            return _record(row)
        return _MAIN if tenant_id == MAIN else None

    def all(self, conn: Connection) -> list[TenantRecord]:
        """Every tenant, `main` first."""
        rows = [_record(r) for r in conn.execute(self._list)]
        main = [r for r in rows if r.id == MAIN] or [_MAIN]
        return main + [r for r in rows if r.id != MAIN]

    def create(self, conn: Connection, record: TenantRecord) -> bool:
        """Insert a tenant unless its id is taken."""
        if self.get(conn, record.id) is not None:
            return False
        conn.execute(self._insert, {"id": record.id, "display_name": record.display_name,
                                    "created": record.created, "updated": record.updated})
        return True

    def rename(self, conn: Connection, tenant_id: str, name: str, now: datetime) -> TenantRecord | None:
        """Set the display name (`main` gets its row on its first rename)."""
        if self.get(conn, tenant_id) is None:
            return None
        if conn.execute(self._rename, {"tid": tenant_id, "name": name, "now": now}).rowcount == 0:
            conn.execute(self._insert, {"id": tenant_id, "display_name": name, "created": now, "updated": now})
        return self.get(conn, tenant_id)

    def flow_count(self, conn: Connection, tenant_id: str) -> int:
        """How many flow revisions of live flows the tenant holds (0: none)."""
        return int(conn.execute(self._flows, {"tid": tenant_id}).scalar_one())

    def running_count(self, conn: Connection, tenant_id: str) -> int:
        """How many of the tenant's executions have not ended."""
        return int(conn.execute(self._running, {"tid": tenant_id}).scalar_one())

    def delete(self, conn: Connection, tenant_id: str) -> bool:
        """Delete a tenant with every row it holds but its audit log (so that a tenant made later with the same id
        starts empty: no binding, secret, KV entry or execution of the old one); True when it existed."""
        for statement in self._purge:
            conn.execute(statement, {"tid": tenant_id})
        return conn.execute(self._delete, {"tid": tenant_id}).rowcount == 1


def _record(row: Row[Any]) -> TenantRecord:
    return TenantRecord(row.id, row.display_name, row.created, row.updated)
