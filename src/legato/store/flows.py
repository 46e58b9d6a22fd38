"""Flow revisions: immutable sources, a new revision per changed save, deletion as a mark on the latest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, false, func, insert, select, update

from legato.store.dialect import Dialect
from legato.store.ports import FlowRecord
from legato.store.schema import flows

_f2 = flows.alias("f2")
_LATEST_REVISION = (
    select(func.max(_f2.c.revision))
    .where(_f2.c.namespace == flows.c.namespace, _f2.c.id == flows.c.id)
    .scalar_subquery()
)


class FlowQueries:
    """Named queries over the flows table."""

    def __init__(self, dialect: Dialect):
        self._dialect = dialect
        key = (flows.c.namespace == bindparam("ns")) & (flows.c.id == bindparam("flow_id"))
        self._latest = select(flows).where(key).order_by(flows.c.revision.desc()).limit(1)
        self._revision = select(flows).where(key, flows.c.revision == bindparam("rev"))
        self._revisions = select(flows).where(key).order_by(flows.c.revision)
        self._insert = insert(flows)
        self._set_flags = (
            update(flows)
            .where(key, flows.c.revision == bindparam("rev"))
            .values(disabled=bindparam("set_disabled"), deleted=bindparam("set_deleted"), updated=bindparam("now"))
        )
        live = select(flows).where(flows.c.revision == _LATEST_REVISION, flows.c.deleted == false())
        order = (flows.c.namespace, flows.c.id)
        self._list_all = live.order_by(*order)
        self._list_ns = live.where(flows.c.namespace == bindparam("ns")).order_by(*order)

    def latest(self, conn: Connection, namespace: str, flow_id: str) -> FlowRecord | None:
        """The newest revision of a flow, deleted or not."""
        row = conn.execute(self._latest, {"ns": namespace, "flow_id": flow_id}).first()
        return _record(row) if row else None

    def get(self, conn: Connection, namespace: str, flow_id: str, revision: int | None) -> FlowRecord | None:
        """One revision; without `revision`, the latest unless the flow is deleted."""
        if revision is None:
            latest = self.latest(conn, namespace, flow_id)
            return None if latest is None or latest.deleted else latest
        row = conn.execute(self._revision, {"ns": namespace, "flow_id": flow_id, "rev": revision}).first()
        return _record(row) if row else None

    def revisions(self, conn: Connection, namespace: str, flow_id: str) -> list[FlowRecord]:
        """Every revision of a flow, oldest first."""
        return [_record(r) for r in conn.execute(self._revisions, {"ns": namespace, "flow_id": flow_id})]

    def save(self, conn: Connection, namespace: str, flow_id: str, source: str, disabled: bool, now: datetime) -> FlowRecord:
        """Append a revision when the source changed (or the flow was deleted); return the latest."""
        self._dialect.lock_key(conn, f"flow:{namespace}/{flow_id}")
        latest = self.latest(conn, namespace, flow_id)
        if latest is not None and not latest.deleted and latest.source == source:
            if latest.disabled != disabled:
                self._flags(conn, latest, disabled=disabled, deleted=False, now=now)
                return FlowRecord(**{**latest.__dict__, "disabled": disabled, "updated": now})
            return latest
        record = FlowRecord(
            namespace=namespace, id=flow_id, revision=(latest.revision + 1) if latest else 1,
            source=source, disabled=disabled, deleted=False, updated=now,
        )
        conn.execute(self._insert, record.__dict__)
        return record

    def delete(self, conn: Connection, namespace: str, flow_id: str, now: datetime) -> bool:
        """Mark the latest revision deleted; False when there is no live flow."""
        latest = self.latest(conn, namespace, flow_id)
        if latest is None or latest.deleted:
            return False
        self._flags(conn, latest, disabled=latest.disabled, deleted=True, now=now)
        return True

    def live(self, conn: Connection, namespace: str | None) -> list[FlowRecord]:
        """Latest revisions of live flows, by namespace and id."""
        if namespace is None:
            rows = conn.execute(self._list_all)
        else:
            rows = conn.execute(self._list_ns, {"ns": namespace})
        return [_record(r) for r in rows]

    def _flags(self, conn: Connection, flow: FlowRecord, *, disabled: bool, deleted: bool, now: datetime) -> None:
        params: dict[str, Any] = {
            "ns": flow.namespace, "flow_id": flow.id, "rev": flow.revision,
            "set_disabled": disabled, "set_deleted": deleted, "now": now,
        }
        conn.execute(self._set_flags, params)


def _record(row: Row[Any]) -> FlowRecord:
    return FlowRecord(
        namespace=row.namespace, id=row.id, revision=row.revision, source=row.source,
        disabled=bool(row.disabled), deleted=bool(row.deleted), updated=row.updated,
    )
