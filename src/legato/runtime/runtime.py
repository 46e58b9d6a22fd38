"""One process running the executor, a worker and the timer loop on one event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from legato import plugins
from legato.aio import supervise
from legato.clock import utcnow
from legato.engine.decide import Engine
from legato.executor.service import Executor
from legato.executor.timers import TimerLoop
from legato.expressions import Renderer
from legato.model.cache import FlowCache
from legato.model.flow import Flow
from legato.model.loader import load_flow
from legato.runners.select import RunnerSettings
from legato.scheduler.service import Scheduler
from legato.scheduler.sources import SourceRunner
from legato.storage import LocalStorage, Storage, default_storage
from legato.storage import defaults as storage_defaults
from legato.store.ports import Store
from legato.worker.service import Worker

log = logging.getLogger("legato.runtime")


def parse_flow(source: str, name: str = "<flow>") -> Flow:
    """Parse and validate a flow with every installed task and trigger type."""
    return load_flow(source, source=name, registry=plugins.registry(), triggers=plugins.trigger_registry())


class Runtime:
    """Executor + worker + timers sharing a store, a flow cache and a renderer."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = utcnow, worker_slots: int = 16,
                 worker_groups: tuple[str | None, ...] = (None,), lease: timedelta = timedelta(seconds=30),
                 run_worker: bool = True, run_executor: bool = True, poll_seconds: float = 1.0,
                 lane_backlog: int = 100_000, data_dir: Path | None = None, drain_seconds: float | None = None,
                 run_scheduler: bool = False, run_sources: bool = False, executor_threads: int = 1):
        self.store = store
        self.clock = clock
        self.renderer = Renderer(clock=clock)
        self.flows = FlowCache(parse_flow)
        self.engine = Engine(self.renderer)
        # Files live under the data dir (or LEGATO_STORAGE_ROOT), which scripts must never see.
        storage = storage_for(data_dir)
        hidden = [p for p in (data_dir, getattr(storage, "root", None)) if p is not None]
        self.worker = Worker(store, self.flows, clock, renderer=self.renderer, slots=worker_slots,
                             groups=worker_groups, lease=lease, poll_seconds=poll_seconds,
                             lane_backlog=lane_backlog if run_executor else 0, storage=storage,
                             runner_settings=RunnerSettings.from_env(hidden=hidden),
                             drain_seconds=drain_seconds) if run_worker else None
        self.executor = Executor(store, self.engine, self.flows, clock, poll_seconds=poll_seconds,
                                 lane=self.worker, threads=executor_threads, storage=storage) if run_executor else None
        self.timers = TimerLoop(store, clock, poll_seconds=poll_seconds) if run_executor else None
        self.scheduler = Scheduler(store, clock, renderer=self.renderer, flows=self.flows,
                                   poll_seconds=min(poll_seconds, 1.0)) if run_scheduler else None
        # Polling and realtime triggers run beside the worker, for its groups.
        self.sources = SourceRunner(store, clock, storage=storage, renderer=self.renderer, flows=self.flows,
                                    refresh_seconds=min(poll_seconds, 1.0), lease_seconds=lease.total_seconds(),
                                    functions={"secret": secret}, groups=worker_groups) if run_sources and run_worker else None
        if self.worker is not None and self.executor is not None:
            # One process: the worker's results are applied in the transaction that finishes the job.
            self.worker.finish = self.executor.finish_local

    async def run(self, stopping: asyncio.Event) -> None:
        """Run every service until `stopping` is set; a crashed loop restarts with back-off."""
        loops = []
        if self.executor is not None:
            loops.append(asyncio.create_task(supervise("executor", self.executor.run, stopping), name="executor"))
        if self.timers is not None:
            loops.append(asyncio.create_task(supervise("timers", self.timers.run, stopping), name="timers"))
        if self.worker is not None:
            loops.append(asyncio.create_task(supervise("worker", self.worker.run, stopping), name="worker"))
        if self.scheduler is not None:
            loops.append(asyncio.create_task(supervise("scheduler", self.scheduler.run, stopping), name="scheduler"))
        if self.sources is not None:
            loops.append(asyncio.create_task(supervise("trigger-sources", self.sources.run, stopping),
                                             name="trigger-sources"))
        await asyncio.gather(*loops)


def secret(name: str) -> str:
    """`secret(name)` in trigger properties: Kestra's open-source backend (SECRET_<NAME>, base64)."""
    from legato.runtime.webhooks import env_secret  # imported here: webhooks imports this module

    return env_secret(name)


def storage_for(data_dir: Path | None) -> Storage:
    """Internal storage: LEGATO_STORAGE_URL or LEGATO_STORAGE_ROOT when set, else <data dir>/storage, else a
    private temp dir."""
    if storage_defaults.configured() or data_dir is None:
        return default_storage()
    return LocalStorage(data_dir / "storage")
