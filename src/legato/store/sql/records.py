"""The log lines and the key-value store over SQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from legato.model.execution import LogRecord
from legato.store.database import Database
from legato.store.ports import (
    KVEntry,
    LogFilter,
    StoredLog,
)
from legato.store.ports.tenants import MAIN
from legato.store.queries import Queries


class SqlLogs:
    """ports.LogStore over SQL."""

    def __init__(self, db: Database, q: Queries):
        self._db = db
        self._q = q

    def append_logs(self, records: Sequence[LogRecord]) -> None:
        if records:
            with self._db.write() as tx:
                self._q.logs.append(tx.conn, records)

    def logs(self, execution_id: str, *, task_run_id: str | None = None, min_level: str | None = None) -> list[LogRecord]:
        with self._db.read() as conn:
            return self._q.logs.read(conn, execution_id, task_run_id, min_level)

    def logs_after(self, filters: LogFilter, after_id: int, limit: int = 1000) -> list[StoredLog]:
        with self._db.read() as conn:
            return self._q.search.logs_after(conn, filters, after_id, limit)

    def search_logs(self, filters: LogFilter, *, descending: bool = True, limit: int = 100,
                    offset: int = 0) -> tuple[list[StoredLog], int]:
        with self._db.read() as conn:
            return self._q.search.logs(conn, filters, descending, limit, offset)

    def delete_logs(self, filters: LogFilter) -> int:
        with self._db.write() as tx:
            return self._q.purge.logs(tx.conn, self._q.search.log_ids(filters))


class SqlKV:
    """ports.KVStore over SQL. `clock` dates a deletion given no time."""

    def __init__(self, db: Database, q: Queries, clock: Callable[[], datetime]):
        self._db = db
        self._q = q
        self._clock = clock

    def kv_get(self, namespace: str, key: str, now: datetime, *, tenant: str = MAIN) -> KVEntry | None:
        with self._db.read() as conn:
            return self._q.kv.get(conn, namespace, key, now, tenant)

    def kv_set(
        self, namespace: str, key: str, value: Any, *, type: str, expires_at: datetime | None,
        now: datetime, overwrite: bool = True, tenant: str = MAIN,
    ) -> bool:
        with self._db.write() as tx:
            if not overwrite and self._q.kv.get(tx.conn, namespace, key, now, tenant) is not None:
                return False
            self._q.kv.put(tx.conn, namespace, key, value, type, expires_at, now, tenant)
            return True

    def kv_delete(self, namespace: str, key: str, now: datetime | None = None, *, tenant: str = MAIN) -> bool:
        """Remove a key; True when a live entry was removed."""
        with self._db.write() as tx:
            return self._q.kv.delete(tx.conn, namespace, key, now or self._clock(), tenant)

    def kv_list(self, namespace: str, now: datetime, prefix: str | None = None, *,
                tenant: str = MAIN) -> list[KVEntry]:
        with self._db.read() as conn:
            return self._q.kv.live(conn, namespace, now, prefix, tenant)

    def kv_purge(self, namespace: str, now: datetime, *, expired_only: bool, keys: Sequence[str] | None = None,
                 tenant: str = MAIN) -> int:
        with self._db.write() as tx:
            return self._q.kv.purge(tx.conn, namespace, now, expired_only, keys, tenant)
