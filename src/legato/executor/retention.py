"""Retention: deletes finished executions (with their task runs and logs), old logs and old audit log
entries, batch by batch, on demand (`legato sys purge`) or periodically in the executor role."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from legato.aio import wait_any
from legato.store.ports import PurgeCount
from legato.store.ports import Retention as RetentionPort

log = logging.getLogger("legato.retention")


class Retention:
    """What to purge: executions finished more than `executions` ago, logs of executions finished more
    than `logs` ago, audit entries recorded more than `audit_logs` ago (None: keep)."""

    def __init__(self, store: RetentionPort, clock: Callable[[], datetime], *, executions: timedelta | None,
                 logs: timedelta | None = None, batch: int = 500, pause_seconds: float = 0.0,
                 audit_logs: timedelta | None = None):
        self.store = store
        self.clock = clock
        self.executions = executions
        self.logs = logs
        self.audit_logs = audit_logs
        self.batch = batch
        self.pause_seconds = pause_seconds  # between batches, so a big purge leaves room to other writers

    def purge(self, stopping: asyncio.Event | None = None) -> PurgeCount:
        """Purge everything due now, one short transaction per batch; what was deleted."""
        now = self.clock()
        total = PurgeCount()
        if self.executions is not None:
            while stopping is None or not stopping.is_set():
                done = self.store.purge_executions(now - self.executions, self.batch)
                total += done
                if done.executions < self.batch:
                    break
                self._pause()
        if self.logs is not None:
            while stopping is None or not stopping.is_set():
                lines = self.store.purge_logs(now - self.logs, self.batch)
                total += PurgeCount(logs=lines)
                if lines == 0:
                    break
                self._pause()
        if self.audit_logs is not None:
            while stopping is None or not stopping.is_set():
                entries = self.store.purge_audit(now - self.audit_logs, self.batch)
                total += PurgeCount(audit_logs=entries)
                if entries < self.batch:
                    break
                self._pause()
        return total

    def _pause(self) -> None:
        if self.pause_seconds:
            time.sleep(self.pause_seconds)

    async def run(self, stopping: asyncio.Event, interval: timedelta) -> None:
        """Purge every `interval` until `stopping`."""
        while not stopping.is_set():
            done = await asyncio.to_thread(self.purge, stopping)
            if done.executions or done.logs or done.audit_logs:
                log.info("purged %d executions, %d task runs, %d log lines, %d audit log entries", done.executions,
                         done.task_runs, done.logs, done.audit_logs)
            await wait_any(asyncio.sleep(interval.total_seconds()), stopping)
