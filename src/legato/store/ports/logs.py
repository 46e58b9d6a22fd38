"""The log aggregate: the lines tasks and executions write, searched, followed and deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from legato.model.execution import LogRecord
from legato.store.ports.tenants import MAIN


@dataclass(frozen=True)
class LogFilter:
    """Which log lines a search, a follow or a delete takes; every field set must match."""

    execution_id: str | None = None  # lines of this execution: the caller checked that it is of `tenant`
    task_run_id: str | None = None
    attempt: int | None = None
    namespace: str | None = None  # executions of this namespace and its children
    flow_id: str | None = None
    min_level: str | None = None
    levels: frozenset[str] | None = None  # exactly these levels (TRACE, DEBUG, INFO, WARN, ERROR)
    text: str | None = None  # the message contains this, case-insensitively
    time_from: datetime | None = None
    time_to: datetime | None = None
    within: tuple[str, ...] | None = None  # only executions of these namespaces and their children
    positions: tuple[int, int] | None = None  # only lines whose position (id) is in (first, last]
    tenant: str = MAIN  # only lines of this tenant's executions


@dataclass(frozen=True)
class StoredLog:
    """A log line with its position (ids grow in insertion order) and its execution's flow, when joined."""

    id: int
    record: LogRecord
    namespace: str | None = None
    flow_id: str | None = None


class LogStore(Protocol):
    def append_logs(self, records: Sequence[LogRecord]) -> None: ...

    def logs(self, execution_id: str, *, task_run_id: str | None = None,
             min_level: str | None = None) -> list[LogRecord]: ...

    def logs_after(self, filters: LogFilter, after_id: int, limit: int = 1000) -> list[StoredLog]:
        """Matching lines written after the line `after_id` (0: from the first), in insertion order."""
        ...

    def search_logs(self, filters: LogFilter, *, descending: bool = True, limit: int = 100,
                    offset: int = 0) -> tuple[list[StoredLog], int]:
        """One page of matching lines by time (ties in insertion order), with their flow, and how many match."""
        ...

    def delete_logs(self, filters: LogFilter) -> int:
        """Delete the matching lines; how many were deleted."""
        ...
