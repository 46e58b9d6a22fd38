"""The executions' daily roll-up kept folded: a side loop of the executor role that moves the deltas the database
triggers append (one per change of an execution) into `execution_days`, batch by batch. Charts are exact without
it (they read the deltas not folded yet); it keeps what they read small."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from legato.aio import wait_any
from legato.store.ports import DashboardStore

log = logging.getLogger("legato.rollup")


class DayRollup:
    """Folds the executions' roll-up deltas every `interval`, `batch` deltas per short transaction."""

    def __init__(self, store: DashboardStore, *, batch: int = 5000, interval: timedelta = timedelta(seconds=10)):
        self.store = store
        self.batch = batch
        self.interval = interval

    def fold(self, stopping: asyncio.Event | None = None) -> int:
        """Fold every delta there is now (or until `stopping`); how many."""
        total = 0
        while stopping is None or not stopping.is_set():
            done = self.store.fold_execution_days(self.batch)
            total += done
            if done < self.batch:
                break
        return total

    async def run(self, stopping: asyncio.Event) -> None:
        """Fold every `interval` until `stopping`."""
        while not stopping.is_set():
            done = await asyncio.to_thread(self.fold, stopping)
            if done:
                log.debug("folded %d execution changes into the daily roll-up", done)
            await wait_any(asyncio.sleep(self.interval.total_seconds()), stopping)
