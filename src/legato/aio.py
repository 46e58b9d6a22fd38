"""Small asyncio helpers shared by the long-running services (executor, worker, timers, scheduler)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from legato.backoff import Backoff

log = logging.getLogger("legato")


async def wait_any(waiter: Awaitable[object], stopping: asyncio.Event) -> None:
    """Wait until `waiter` completes or `stopping` is set, whichever comes first."""
    tasks = [asyncio.ensure_future(waiter), asyncio.create_task(stopping.wait(), name="stop-signal")]
    _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()


async def supervise(name: str, loop: Callable[[asyncio.Event], Awaitable[None]], stopping: asyncio.Event,
                    *, max_backoff: float = 30.0) -> None:
    """Run `loop` until `stopping` is set, restarting it with growing back-off whenever it crashes."""
    backoff = Backoff(0.1, max_backoff)
    while not stopping.is_set():
        try:
            await loop(stopping)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            delay = backoff.next()
            log.exception("service loop %r crashed; restarting in %.1fs", name, delay)
            await wait_any(asyncio.sleep(delay), stopping)
