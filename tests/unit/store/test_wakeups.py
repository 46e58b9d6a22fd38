"""In-process wake-ups: no notification lost between ticks, every current waiter woken."""

from __future__ import annotations

import asyncio
import threading

from legato.store.wakeups import LocalWakeups


def test_a_notification_before_the_wait_is_kept_once() -> None:
    wakeups = LocalWakeups()
    wakeups.notify("events")

    async def main() -> tuple[bool, bool, bool]:
        return (
            await wakeups.wait("events", 0.01), await wakeups.wait("events", 0.01), await wakeups.wait("jobs", 0.01),
        )

    assert asyncio.run(main()) == (True, False, False)


def test_every_waiter_of_the_channel_wakes() -> None:
    wakeups = LocalWakeups()

    async def main() -> list[bool]:
        waiters = [asyncio.create_task(wakeups.wait("jobs", 2)) for _ in range(3)]
        other = asyncio.create_task(wakeups.wait("timers", 0.2))
        await asyncio.sleep(0.02)
        wakeups.notify("jobs")
        return [*(await asyncio.gather(*waiters)), await other]

    assert asyncio.run(main()) == [True, True, True, False]


def test_notify_from_a_thread_wakes_a_loop_and_first_wait_starts_the_listener() -> None:
    wakeups = LocalWakeups()
    started: list[str] = []
    wakeups.on_first_wait(lambda: started.append("listener"))

    async def main() -> bool:
        waiter = asyncio.create_task(wakeups.wait("events", 2))
        await asyncio.sleep(0.02)
        thread = threading.Thread(target=wakeups.notify, args=("events",))
        thread.start()
        thread.join()
        woke = await waiter
        await wakeups.wait("events", 0)
        return woke

    assert asyncio.run(main()) is True
    assert started == ["listener"]


def test_a_waiter_that_timed_out_is_not_woken_later() -> None:
    wakeups = LocalWakeups()

    async def main() -> bool:
        assert await wakeups.wait("jobs", 0.01) is False
        wakeups.notify("jobs")  # nobody waits now: kept for the next wait
        return await wakeups.wait("jobs", 0.01)

    assert asyncio.run(main()) is True
