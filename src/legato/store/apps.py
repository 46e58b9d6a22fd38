"""Apps: their YAML sources, one row per (tenant, id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, select

from legato.store.dialect import Dialect
from legato.store.ports.apps import AppRecord
from legato.store.schema import apps

_a = apps.c


class AppQueries:
    """Named queries over the apps table."""

    def __init__(self, dialect: Dialect):
        key = (_a.tenant == bindparam("tenant")) & (_a.id == bindparam("app_id"))
        self._upsert = dialect.upsert(apps, ["tenant", "id"],
                                      ["namespace", "flow_id", "display_name", "access", "source", "updated"])
        self._get = select(apps).where(key)
        self._list = select(apps).where(_a.tenant == bindparam("tenant")).order_by(_a.display_name, _a.id)
        self._delete = delete(apps).where(key)

    def save(self, conn: Connection, record: AppRecord) -> AppRecord:
        """Insert or replace an app (the creation date of a replaced one stays)."""
        conn.execute(self._upsert, {"tenant": record.tenant, "id": record.id, "namespace": record.namespace,
                                    "flow_id": record.flow_id, "display_name": record.display_name,
                                    "access": record.access, "source": record.source, "created": record.created,
                                    "updated": record.updated})
        saved = self.get(conn, record.tenant, record.id)
        assert saved is not None
        return saved

    def get(self, conn: Connection, tenant: str, app_id: str) -> AppRecord | None:
        """One app, or None."""
        row = conn.execute(self._get, {"tenant": tenant, "app_id": app_id}).first()
        return _record(row) if row else None

    def find(self, conn: Connection, tenant: str, namespace: str | None) -> list[AppRecord]:
        """The apps of a tenant (of a namespace and its children), by display name and id."""
        found = [_record(r) for r in conn.execute(self._list, {"tenant": tenant})]
        if namespace is None:
            return found
        # apps are few per tenant: the namespace test stays here rather than in a LIKE with escaped wildcards
        return [a for a in found if a.namespace == namespace or a.namespace.startswith(namespace + ".")]

    def delete(self, conn: Connection, tenant: str, app_id: str) -> bool:
        """Delete one app; True when it existed."""
        return conn.execute(self._delete, {"tenant": tenant, "app_id": app_id}).rowcount == 1


def _record(row: Row[Any]) -> AppRecord:
    return AppRecord(row.id, row.namespace, row.flow_id, row.display_name, row.access, row.source, row.created,
                     row.updated, row.tenant)
