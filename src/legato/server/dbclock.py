"""The database's clock, as seen from this process.

Leases, timers and heartbeats are compared across processes on several hosts; if each process used its own
clock, a host whose clock runs behind would write leases that have already expired for the others (and a
healthy worker would lose its jobs). Every server process therefore keeps time as the database server does:
its own monotonic clock plus an offset measured against the database (half the query's round trip
compensated), measured at start and every `interval` seconds after. SQLite shares the host's clock: the
offset stays zero.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

from legato.aio import wait_any
from legato.clock import utcnow
from legato.store.ports import DatabaseClock as ClockSource

log = logging.getLogger("legato.clock")

DRIFT_WARNING = timedelta(seconds=1)


class DatabaseClock:
    """A callable `() -> datetime` (UTC) that follows the database server's clock."""

    def __init__(self, store: ClockSource, *, interval: float = 30.0):
        self.store = store
        self.interval = interval
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def sync(self) -> timedelta:
        """Measure the offset to the database's clock now; the new offset."""
        sent = time.monotonic()
        before = utcnow()
        remote = self.store.database_time()
        half_trip = timedelta(seconds=(time.monotonic() - sent) / 2)
        offset = remote - (before + half_trip)
        if abs(offset - self.offset) > DRIFT_WARNING:
            log.warning("this host's clock is %.3f s off the database's; following the database",
                        -offset.total_seconds())
        self.offset = offset
        return offset

    async def run(self, stopping: asyncio.Event) -> None:
        """Re-measure every `interval` seconds until `stopping` is set."""
        while not stopping.is_set():
            await wait_any(asyncio.sleep(self.interval), stopping)
            if not stopping.is_set():
                await asyncio.to_thread(self.sync)
