"""The apps aggregate over SQL."""

from __future__ import annotations

from legato.store.database import Database
from legato.store.ports.apps import AppRecord
from legato.store.ports.governance import TENANT
from legato.store.queries import Queries


class SqlApps:
    """ports.AppStore over SQL."""

    def __init__(self, db: Database, q: Queries):
        self._db = db
        self._q = q

    def save_app(self, record: AppRecord) -> AppRecord:
        with self._db.write() as tx:
            return self._q.apps.save(tx.conn, record)

    def get_app(self, app_id: str, tenant: str = TENANT) -> AppRecord | None:
        with self._db.read() as conn:
            return self._q.apps.get(conn, tenant, app_id)

    def list_apps(self, namespace: str | None = None, tenant: str = TENANT) -> list[AppRecord]:
        with self._db.read() as conn:
            return self._q.apps.find(conn, tenant, namespace)

    def delete_app(self, app_id: str, tenant: str = TENANT) -> bool:
        with self._db.write() as tx:
            return self._q.apps.delete(tx.conn, tenant, app_id)
