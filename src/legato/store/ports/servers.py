"""The server registry (the Legato processes sharing the database, with their heartbeats) and retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ServerRecord:
    """One Legato process in the server registry."""

    id: str
    roles: tuple[str, ...]  # executor, worker, scheduler, webserver
    host: str
    pid: int
    worker_groups: tuple[str | None, ...]
    slots: int | None
    started: datetime
    heartbeat_at: datetime
    stopped: datetime | None = None  # set by a clean shutdown


@dataclass(frozen=True)
class PoolStatus:
    """A process's database connections: the pool's size, those lent out, those beyond the size, the most allowed."""

    size: int
    checked_out: int
    overflow: int
    limit: int


@dataclass(frozen=True)
class PurgeCount:
    """What one retention pass deleted."""

    executions: int = 0
    task_runs: int = 0
    logs: int = 0
    audit_logs: int = 0

    def __add__(self, other: PurgeCount) -> PurgeCount:
        return PurgeCount(self.executions + other.executions, self.task_runs + other.task_runs,
                          self.logs + other.logs, self.audit_logs + other.audit_logs)


class DatabaseClock(Protocol):
    def database_time(self) -> datetime:
        """The database server's clock (UTC); the host's own for an embedded database."""
        ...


class ServerRegistry(DatabaseClock, Protocol):
    def register_server(self, record: ServerRecord) -> None:
        """Insert or refresh the registry row of a starting server process."""
        ...

    def server_heartbeat(self, server_id: str, now: datetime) -> bool:
        """Record that the server is alive; False when its row is gone or marked stopped."""
        ...

    def server_stopped(self, server_id: str, now: datetime) -> None:
        """Mark a server that shut down cleanly."""
        ...

    def list_servers(self) -> list[ServerRecord]:
        """Every registered server process, oldest first."""
        ...

    def forget_servers(self, before: datetime) -> int:
        """Drop registry rows whose last heartbeat is older than `before`; how many."""
        ...


class Retention(Protocol):
    """Deleting history past its retention, in short transactions."""

    def purge_executions(self, before: datetime, limit: int = 500) -> PurgeCount:
        """Delete up to `limit` executions finished before `before`, with their task runs, loop items,
        logs and any leftover queue rows: one short transaction. Call until it returns zero executions."""
        ...

    def purge_logs(self, before: datetime, limit: int = 500) -> int:
        """Delete the logs of up to `limit` executions finished before `before`; how many lines."""
        ...

    def purge_audit(self, before: datetime, limit: int = 500) -> int:
        """Delete up to `limit` of the oldest audit entries recorded before `before`; how many."""
        ...
