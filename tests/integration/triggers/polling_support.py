"""Run what `legato server local` runs (executor, worker, scheduler with the trigger-source runner) on a
store inside a test, stop it and start another one, and wait for executions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from legato.clock import utcnow
from legato.model.execution import Execution
from legato.model.state import TERMINAL
from legato.server.compose import Runtime
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store.ports import Store


class Server:
    """One server (a Runtime with the scheduler and the worker with its trigger sources; the executor unless
    told not to) running in a background asyncio task."""

    def __init__(self, store: Store, data_dir: Path, *, run_executor: bool = True, lease_seconds: float = 30.0,
                 worker_groups: tuple[str | None, ...] = (None,)):
        self.runtime = Runtime(store, poll_seconds=0.05, run_scheduler=True, run_sources=True, data_dir=data_dir,
                               run_executor=run_executor, worker_groups=worker_groups)
        assert self.runtime.sources is not None
        self.sources = self.runtime.sources
        self.sources.refresh_seconds = 0.1
        self.sources.lease_seconds = lease_seconds
        self.sources.min_backoff = 0.05
        self.stopping = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> Server:
        self.task = asyncio.create_task(self.runtime.run(self.stopping), name="server")
        return self

    async def stop(self) -> None:
        self.stopping.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 30)


def deploy_flow(store: Store, source: str) -> None:
    flow_service.deploy(store, source, now=utcnow(), by=SYSTEM)


async def wait_until(check: Callable[[], Any], timeout: float = 60.0, message: str = "condition") -> Any:
    """Poll `check` (run in a thread) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {message}")
        await asyncio.sleep(0.05)


def executions(store: Store, namespace: str, *, ended: bool = False) -> list[Execution]:
    found = store.list_executions(namespace=namespace, limit=10_000)
    return [e for e in found if e.state in TERMINAL] if ended else found


def all_ended(store: Store, namespace: str, count: int) -> list[Execution] | None:
    """The executions of `namespace` when exactly... at least `count` exist and all ended, else None."""
    found = executions(store, namespace)
    return found if len(found) >= count and all(e.state in TERMINAL for e in found) else None
