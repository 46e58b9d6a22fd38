"""The timer loop: due timers and expired job leases become events for the executor."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from legato.aio import wait_any
from legato.store.ports import JobQueue, Notifying, Timers


class TimerStore(Timers, JobQueue, Notifying, Protocol):
    """What the timer loop uses: due timers, and expired job leases."""


class TimerLoop:
    def __init__(self, store: TimerStore, clock: Callable[[], datetime], *, poll_seconds: float = 1.0, batch: int = 500):
        self.store = store
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.batch = batch

    def tick(self) -> int:
        """Fire due timers and expire dead leases; return how many events that made."""
        now = self.clock()
        return self.store.fire_due_timers(now, self.batch) + self.store.expire_leases(now, self.batch)

    def _sleep_for(self) -> float:
        next_at = self.store.next_timer_at()
        if next_at is None:
            return self.poll_seconds
        return max(0.0, min(self.poll_seconds, (next_at - self.clock()).total_seconds()))

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            fired = await asyncio.to_thread(self.tick)
            if fired >= self.batch:
                continue
            delay = await asyncio.to_thread(self._sleep_for)
            await wait_any(self.store.wakeups.wait("timers", delay), stopping)
