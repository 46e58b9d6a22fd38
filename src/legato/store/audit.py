"""The audit log: append-only entries of who changed what, searched by resource, namespace, actor and time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select

from legato.store.ports.governance import AuditEntry, AuditFilter, AuditRecord
from legato.store.schema import audit_logs

_a = audit_logs.c


class AuditQueries:
    """Named queries over the audit_logs table."""

    def __init__(self) -> None:
        self._insert = insert(audit_logs)

    def append(self, conn: Connection, entries: Sequence[AuditEntry]) -> None:
        """Append entries (in the caller's transaction)."""
        if entries:
            conn.execute(self._insert, [_row(e) for e in entries])

    def search(self, conn: Connection, filters: AuditFilter, descending: bool, limit: int,
               offset: int) -> tuple[list[AuditRecord], int]:
        """One page of the matching entries (newest first unless `descending` is False) and how many match."""
        where = _where(filters)
        total = conn.execute(select(func.count()).select_from(audit_logs).where(*where)).scalar_one()
        order = _a.id.desc() if descending else _a.id.asc()
        rows = conn.execute(select(audit_logs).where(*where).order_by(order).limit(limit).offset(offset))
        return [_record(r) for r in rows], int(total)

    def purge(self, conn: Connection, before: datetime, limit: int) -> int:
        """Delete up to `limit` of the oldest entries recorded before `before`; how many."""
        ids = select(_a.id).where(_a.at < before).order_by(_a.id).limit(limit)
        return conn.execute(delete(audit_logs).where(_a.id.in_(ids.scalar_subquery()))).rowcount


def _where(f: AuditFilter) -> list[Any]:
    where: list[Any] = [_a.tenant == f.tenant]
    if f.resource:
        where.append(_a.resource == f.resource.upper())
    if f.action:
        where.append(_a.action == f.action.upper())
    if f.resource_id:
        where.append(_a.resource_id == f.resource_id)
    if f.namespace:
        prefix = f.namespace + "."
        # Not LIKE: namespaces hold `_`, and SQLite's LIKE ignores case.
        where.append((_a.namespace == f.namespace) | (func.substr(_a.namespace, 1, len(prefix)) == prefix))
    if f.actor:
        where.append(_a.actor == f.actor)
    if f.since is not None:
        where.append(_a.at >= f.since)
    if f.until is not None:
        where.append(_a.at < f.until)
    if f.after_id is not None:
        where.append(_a.id > f.after_id)
    return where


def _row(e: AuditEntry) -> dict[str, Any]:
    return {"tenant": e.tenant, "at": e.at, "action": e.action, "resource": e.resource,
            "resource_id": e.resource_id[:512], "namespace": e.namespace, "actor_kind": e.actor_kind,
            "actor": e.actor[:255], "ip": e.ip, "token_id": e.token_id, "details": e.details}


def _record(row: Row[Any]) -> AuditRecord:
    return AuditRecord(id=row.id, entry=AuditEntry(
        at=row.at, action=row.action, resource=row.resource, resource_id=row.resource_id, actor_kind=row.actor_kind,
        actor=row.actor, namespace=row.namespace, ip=row.ip, token_id=row.token_id, details=row.details,
        tenant=row.tenant))
