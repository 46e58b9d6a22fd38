"""The server registry: each Legato process, its roles and its last heartbeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from legato.store.dialect import Dialect
from legato.store.ports import ServerRecord
from legato.store.schema import servers

_s = servers.c
_COLUMNS = ("roles", "host", "pid", "worker_groups", "slots", "started", "heartbeat_at", "stopped")


class ServerQueries:
    """Named queries over the servers table."""

    def __init__(self, dialect: Dialect):
        self._upsert = dialect.upsert(servers, ["id"], _COLUMNS)
        self._beat = (
            update(servers).where(_s.id == bindparam("b_id"), _s.stopped.is_(None))
            .values(heartbeat_at=bindparam("b_now"))
        )
        self._stop = update(servers).where(_s.id == bindparam("b_id")).values(stopped=bindparam("b_now"))
        self._all = select(servers).order_by(_s.started, _s.id)
        self._forget = delete(servers).where(_s.heartbeat_at < bindparam("before"))

    def register(self, conn: Connection, record: ServerRecord) -> None:
        """Insert or refresh the row of a starting server."""
        conn.execute(self._upsert, _row(record))

    def heartbeat(self, conn: Connection, server_id: str, now: datetime) -> bool:
        """Record that the server is alive; False when it has no live row (forgotten or stopped)."""
        return conn.execute(self._beat, {"b_id": server_id, "b_now": now}).rowcount == 1

    def stopped(self, conn: Connection, server_id: str, now: datetime) -> None:
        """Mark a server that shut down cleanly."""
        conn.execute(self._stop, {"b_id": server_id, "b_now": now})

    def all(self, conn: Connection) -> list[ServerRecord]:
        """Every registered server, oldest first."""
        return [_record(r._mapping) for r in conn.execute(self._all)]

    def forget(self, conn: Connection, before: datetime) -> int:
        """Delete servers whose last heartbeat is older than `before`."""
        return conn.execute(self._forget, {"before": before}).rowcount


def _row(record: ServerRecord) -> dict[str, Any]:
    return {
        "id": record.id, "roles": ",".join(record.roles), "host": record.host, "pid": record.pid,
        "worker_groups": ",".join(g or "" for g in record.worker_groups) if record.worker_groups else None,
        "slots": record.slots, "started": record.started, "heartbeat_at": record.heartbeat_at,
        "stopped": record.stopped,
    }


def _record(row: Any) -> ServerRecord:
    groups = tuple(g or None for g in row["worker_groups"].split(",")) if row["worker_groups"] is not None else ()
    return ServerRecord(
        id=row["id"], roles=tuple(row["roles"].split(",")), host=row["host"], pid=row["pid"],
        worker_groups=groups, slots=row["slots"], started=row["started"], heartbeat_at=row["heartbeat_at"],
        stopped=row["stopped"],
    )
