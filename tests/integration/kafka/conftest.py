from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.kafka.broker_double import BrokerDouble
from tests.integration.objectstore_support import Tasks
from tests.unit.plugins.conftest import Harness
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

import legato.plugins.kafka  # noqa: F401  (registers the family even before its entry point is installed)
from legato.plugins import registry
from legato.storage import LocalStorage

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


@pytest.fixture
def tasks(harness: Harness, tmp_path: Path) -> Tasks:
    """Tasks run as the worker does, in one execution over a local internal storage."""
    return Tasks(harness, LocalStorage(tmp_path / "storage"))
