"""Run real flows (executor, worker and scheduler in one Runtime over SQLite) until they settle."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from legato.clock import utcnow
from legato.model.execution import Execution
from legato.model.state import State
from legato.server.compose import Runtime
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store.sql import SqlStore

ENDED = {State.SUCCESS, State.FAILED, State.WARNING, State.KILLED}


def run(store: SqlStore, until: Callable[[], bool], timeout: float = 30.0) -> None:
    """Run every role until nothing is active and `until()` holds."""
    runtime = Runtime(store, poll_seconds=0.05, run_scheduler=True)

    async def main() -> None:
        stopping = asyncio.Event()
        running = asyncio.create_task(runtime.run(stopping))
        deadline = time.monotonic() + timeout
        try:
            while not await asyncio.to_thread(_settled, store, until):
                if time.monotonic() > deadline:
                    raise AssertionError("the flows did not settle in time")
                await asyncio.sleep(0.05)
        finally:
            stopping.set()
            await running

    asyncio.run(main())


def start(store: SqlStore, sources: list[str], namespace: str, flow_id: str) -> Execution:
    for source in sources:
        flow_service.deploy(store, source, now=utcnow(), by=SYSTEM)
    return execution_service.create_execution(store, namespace, flow_id, {}, now=utcnow(), by=SYSTEM)


def of(store: SqlStore, flow_id: str) -> list[Execution]:
    return [e for e in store.list_executions(limit=100) if e.flow_id == flow_id]


def _settled(store: SqlStore, until: Callable[[], bool]) -> bool:
    return all(e.state in ENDED for e in store.list_executions(limit=100)) and until()
