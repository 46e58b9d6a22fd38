"""The server registry and retention over SQL."""

from __future__ import annotations

from datetime import datetime

from legato.store.audit import AuditQueries
from legato.store.database import Database
from legato.store.ports import (
    PurgeCount,
    ServerRecord,
)
from legato.store.retention import RetentionQueries
from legato.store.servers import ServerQueries


class SqlServers:
    """ports.ServerRegistry over SQL."""

    def __init__(self, db: Database):
        self._db = db
        self._servers = ServerQueries(db.dialect)

    def register_server(self, record: ServerRecord) -> None:
        with self._db.write() as tx:
            self._servers.register(tx.conn, record)

    def database_time(self) -> datetime:
        with self._db.read() as conn:
            return self._db.dialect.database_now(conn)

    def server_heartbeat(self, server_id: str, now: datetime) -> bool:
        with self._db.write() as tx:
            return self._servers.heartbeat(tx.conn, server_id, now)

    def server_stopped(self, server_id: str, now: datetime) -> None:
        with self._db.write() as tx:
            self._servers.stopped(tx.conn, server_id, now)

    def list_servers(self) -> list[ServerRecord]:
        with self._db.read() as conn:
            return self._servers.all(conn)

    def forget_servers(self, before: datetime) -> int:
        with self._db.write() as tx:
            return self._servers.forget(tx.conn, before)


class SqlRetention:
    """ports.Retention over SQL: history past its retention, deleted in short transactions."""

    def __init__(self, db: Database, audit: AuditQueries):
        self._db = db
        self._retention = RetentionQueries(db.dialect)
        self._audit_q = audit

    def purge_executions(self, before: datetime, limit: int = 500) -> PurgeCount:
        with self._db.write() as tx:
            return self._retention.purge_executions(tx.conn, before, limit)

    def purge_logs(self, before: datetime, limit: int = 500) -> int:
        with self._db.write() as tx:
            return self._retention.purge_logs(tx.conn, before, limit)

    def purge_audit(self, before: datetime, limit: int = 500) -> int:
        with self._db.write() as tx:
            return self._audit_q.purge(tx.conn, before, limit)
