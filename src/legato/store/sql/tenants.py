"""The tenant registry over SQL."""

from __future__ import annotations

from datetime import datetime

from legato.store.database import Database
from legato.store.ports.tenants import MAIN, TenantInUse, TenantRecord
from legato.store.tenants import TenantQueries


class SqlTenants:
    """ports.TenantStore over SQL."""

    def __init__(self, db: Database):
        self._db = db
        self._q = TenantQueries()

    def create_tenant(self, record: TenantRecord) -> bool:
        with self._db.write() as tx:
            self._db.dialect.lock_key(tx.conn, f"tenant:{record.id}")
            return self._q.create(tx.conn, record)

    def get_tenant(self, tenant_id: str) -> TenantRecord | None:
        with self._db.read() as conn:
            return self._q.get(conn, tenant_id)

    def list_tenants(self) -> list[TenantRecord]:
        with self._db.read() as conn:
            return self._q.all(conn)

    def rename_tenant(self, tenant_id: str, display_name: str, now: datetime) -> TenantRecord | None:
        with self._db.write() as tx:
            return self._q.rename(tx.conn, tenant_id, display_name, now)

    def delete_tenant(self, tenant_id: str) -> bool:
        if tenant_id == MAIN:
            raise TenantInUse("the tenant 'main' always exists")
        with self._db.write() as tx:
            self._db.dialect.lock_key(tx.conn, f"tenant:{tenant_id}")
            if self._q.get(tx.conn, tenant_id) is None:
                return False
            count = self._q.flow_count(tx.conn, tenant_id)
            if count:
                raise TenantInUse(f"tenant '{tenant_id}' still holds {count} flow revision(s); delete its flows first")
            running = self._q.running_count(tx.conn, tenant_id)
            if running:
                raise TenantInUse(f"tenant '{tenant_id}' still has {running} execution(s) that have not ended; "
                                  "kill them first")
            return self._q.delete(tx.conn, tenant_id)
