"""Custom dashboards: their YAML sources, one row per (tenant, id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, select

from legato.store.dialect import Dialect
from legato.store.ports.dashboards import DashboardRecord
from legato.store.schema import dashboards

_d = dashboards.c


class DashboardQueries:
    """Named queries over the dashboards table."""

    def __init__(self, dialect: Dialect):
        key = (_d.tenant == bindparam("tenant")) & (_d.id == bindparam("dashboard_id"))
        self._upsert = dialect.upsert(dashboards, ["tenant", "id"], ["title", "source", "updated"])
        self._get = select(dashboards).where(key)
        self._list = select(dashboards).where(_d.tenant == bindparam("tenant")).order_by(_d.title, _d.id)
        self._delete = delete(dashboards).where(key)

    def save(self, conn: Connection, record: DashboardRecord) -> DashboardRecord:
        """Insert or replace a dashboard (the creation date of a replaced one stays)."""
        conn.execute(self._upsert, {"tenant": record.tenant, "id": record.id, "title": record.title,
                                    "source": record.source, "created": record.created, "updated": record.updated})
        saved = self.get(conn, record.tenant, record.id)
        assert saved is not None
        return saved

    def get(self, conn: Connection, tenant: str, dashboard_id: str) -> DashboardRecord | None:
        """One dashboard, or None."""
        row = conn.execute(self._get, {"tenant": tenant, "dashboard_id": dashboard_id}).first()
        return _record(row) if row else None

    def find(self, conn: Connection, tenant: str) -> list[DashboardRecord]:
        """The dashboards of a tenant, by title and id."""
        return [_record(r) for r in conn.execute(self._list, {"tenant": tenant})]

    def delete(self, conn: Connection, tenant: str, dashboard_id: str) -> bool:
        """Delete one dashboard; True when it existed."""
        return conn.execute(self._delete, {"tenant": tenant, "dashboard_id": dashboard_id}).rowcount == 1


def _record(row: Row[Any]) -> DashboardRecord:
    return DashboardRecord(row.id, row.title, row.source, row.created, row.updated, row.tenant)
