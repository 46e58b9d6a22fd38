"""Flow revisions: immutable sources, a new revision per changed save, deletion as a mark on the latest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, false, func, insert, select, update

from legato.store.dialect import Dialect
from legato.store.ports import FlowRecord
from legato.store.ports.tenants import MAIN
from legato.store.schema import flows

_f2 = flows.alias("f2")
_LATEST_REVISION = (
    select(func.max(_f2.c.revision))
    .where(_f2.c.tenant == flows.c.tenant, _f2.c.namespace == flows.c.namespace, _f2.c.id == flows.c.id)
    .scalar_subquery()
)


class FlowQueries:
    """Named queries over the flows table."""

    def __init__(self, dialect: Dialect):
        self._dialect = dialect
        key = ((flows.c.tenant == bindparam("b_tenant")) & (flows.c.namespace == bindparam("ns"))
               & (flows.c.id == bindparam("flow_id")))
        self._latest = select(flows).where(key).order_by(flows.c.revision.desc()).limit(1)
        self._revision = select(flows).where(key, flows.c.revision == bindparam("rev"))
        self._revisions = select(flows).where(key).order_by(flows.c.revision)
        self._insert = insert(flows)
        self._set_flags = (
            update(flows)
            .where(key, flows.c.revision == bindparam("rev"))
            .values(disabled=bindparam("set_disabled"), deleted=bindparam("set_deleted"), updated=bindparam("now"))
        )
        live = select(flows).where(flows.c.tenant == bindparam("b_tenant"), flows.c.revision == _LATEST_REVISION,
                                   flows.c.deleted == false())
        order = (flows.c.namespace, flows.c.id)
        self._list_all = live.order_by(*order)
        self._list_ns = live.where(flows.c.namespace == bindparam("ns")).order_by(*order)
        self._every_tenant = (select(flows).where(flows.c.revision == _LATEST_REVISION, flows.c.deleted == false())
                              .order_by(flows.c.tenant, *order))

    def latest(self, conn: Connection, namespace: str, flow_id: str, tenant: str = MAIN) -> FlowRecord | None:
        """The newest revision of a flow, deleted or not."""
        row = conn.execute(self._latest, {"b_tenant": tenant, "ns": namespace, "flow_id": flow_id}).first()
        return _record(row) if row else None

    def get(self, conn: Connection, namespace: str, flow_id: str, revision: int | None,
            tenant: str = MAIN) -> FlowRecord | None:
        """One revision; without `revision`, the latest unless the flow is deleted."""
        if revision is None:
            latest = self.latest(conn, namespace, flow_id, tenant)
            return None if latest is None or latest.deleted else latest
        params = {"b_tenant": tenant, "ns": namespace, "flow_id": flow_id, "rev": revision}
        row = conn.execute(self._revision, params).first()
        return _record(row) if row else None

    def revisions(self, conn: Connection, namespace: str, flow_id: str, tenant: str = MAIN) -> list[FlowRecord]:
        """Every revision of a flow, oldest first."""
        params = {"b_tenant": tenant, "ns": namespace, "flow_id": flow_id}
        return [_record(r) for r in conn.execute(self._revisions, params)]

    def save(self, conn: Connection, namespace: str, flow_id: str, source: str, disabled: bool, now: datetime,
             tenant: str = MAIN) -> FlowRecord:
        """Append a revision when the source changed (or the flow was deleted); return the latest."""
        self._dialect.lock_key(conn, f"flow:{tenant}/{namespace}/{flow_id}")
        latest = self.latest(conn, namespace, flow_id, tenant)
        if latest is not None and not latest.deleted and latest.source == source:
            if latest.disabled != disabled:
                self._flags(conn, latest, disabled=disabled, deleted=False, now=now)
                return FlowRecord(**{**latest.__dict__, "disabled": disabled, "updated": now})
            return latest
        record = FlowRecord(
            namespace=namespace, id=flow_id, revision=(latest.revision + 1) if latest else 1,
            source=source, disabled=disabled, deleted=False, updated=now, tenant=tenant,
        )
        conn.execute(self._insert, record.__dict__)
        return record

    def delete(self, conn: Connection, namespace: str, flow_id: str, now: datetime, tenant: str = MAIN) -> bool:
        """Mark the latest revision deleted; False when there is no live flow."""
        latest = self.latest(conn, namespace, flow_id, tenant)
        if latest is None or latest.deleted:
            return False
        self._flags(conn, latest, disabled=latest.disabled, deleted=True, now=now)
        return True

    def every_tenant(self, conn: Connection) -> list[FlowRecord]:
        """Latest revisions of the live flows of every tenant, by tenant, namespace and id."""
        return [_record(r) for r in conn.execute(self._every_tenant)]

    def live(self, conn: Connection, namespace: str | None, tenant: str = MAIN) -> list[FlowRecord]:
        """Latest revisions of a tenant's live flows, by namespace and id."""
        if namespace is None:
            rows = conn.execute(self._list_all, {"b_tenant": tenant})
        else:
            rows = conn.execute(self._list_ns, {"b_tenant": tenant, "ns": namespace})
        return [_record(r) for r in rows]

    def _flags(self, conn: Connection, flow: FlowRecord, *, disabled: bool, deleted: bool, now: datetime) -> None:
        params: dict[str, Any] = {
            "b_tenant": flow.tenant, "ns": flow.namespace, "flow_id": flow.id, "rev": flow.revision,
            "set_disabled": disabled, "set_deleted": deleted, "now": now,
        }
        conn.execute(self._set_flags, params)


def _record(row: Row[Any]) -> FlowRecord:
    return FlowRecord(
        namespace=row.namespace, id=row.id, revision=row.revision, source=row.source,
        disabled=bool(row.disabled), deleted=bool(row.deleted), updated=row.updated, tenant=row.tenant,
    )
