"""Contract: commits wake the services that wait for them."""

from __future__ import annotations

import asyncio
import threading

from legato.engine.events import ExecutionCreated, KillRequested
from legato.store.ports import Tx
from legato.store.sql import SqlStore

from .helpers import NOW, drain, execution, in_tx, started


class WakeupContract:
    def test_wait_times_out_without_notification(self, store: SqlStore) -> None:
        assert asyncio.run(store.wakeups.wait("jobs", 0.01)) is False

    def test_notify_from_another_thread_wakes_a_waiter(self, store: SqlStore) -> None:
        async def main() -> bool:
            waiter = asyncio.create_task(store.wakeups.wait("jobs", 5))
            await asyncio.sleep(0.05)
            threading.Thread(target=store.wakeups.notify, args=("jobs",)).start()
            return await waiter

        assert asyncio.run(main()) is True

    def test_commits_notify_events_jobs_and_timers(self, store: SqlStore) -> None:
        async def drain_channels() -> None:
            for channel in ("events", "jobs", "timers"):
                while await store.wakeups.wait(channel, 0):
                    pass

        ex = started(store)
        asyncio.run(drain_channels())
        store.create_execution(execution(), ExecutionCreated())
        assert asyncio.run(store.wakeups.wait("events", 0.5)) is True
        drain(store)

        def schedule(tx: Tx) -> None:
            tx.insert_job(ex.id, "tr", 1, None)
            tx.insert_timer(ex.id, NOW, "retry", "tr", "key")

        in_tx(store, ex.id, schedule)
        assert asyncio.run(store.wakeups.wait("jobs", 0.5)) is True
        assert asyncio.run(store.wakeups.wait("timers", 0.5)) is True
        store.send_event(ex.id, KillRequested())
        assert asyncio.run(store.wakeups.wait("events", 0.5)) is True
