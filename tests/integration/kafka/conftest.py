from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from tests.integration.kafka.broker_double import BrokerDouble
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

import legato.plugins.kafka  # noqa: F401  (registers the family even before its entry point is installed)
from legato.plugins import registry

registry()


@pytest.fixture
def broker() -> Iterator[BrokerDouble]:
    """The Kafka broker double, served from its own thread and event loop (the tasks run in asyncio.run)."""
    loop = asyncio.new_event_loop()
    double = BrokerDouble()
    started = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        async with double:
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), name="kafka-double", daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield double
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
