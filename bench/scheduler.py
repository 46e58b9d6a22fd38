"""Trigger latency benchmark, on SQLite with what `legato server local` runs (API + executor + worker + timers +
scheduler on one event loop, here in a background thread of this process):

- webhook-to-first-task: from just before the webhook POST is sent to the RUNNING date the store records for
  the execution's first task (p50/p99 over --hooks calls, one at a time);
- schedule-to-start: from a `* * * * * *` (withSeconds) Schedule's date to the RUNNING date of the first task
  of the execution it created (p50/p99 over --fires dates).

    .venv/bin/python bench/scheduler.py [--hooks N] [--fires N]

Prints lines like `scheduler[sqlite]: webhook -> first task RUNNING: p50 9.1 ms, p99 20.3 ms`. Target for
both: p50 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from support import wait_healthy

from legato.api import create_app
from legato.api import server as http
from legato.model import state as st
from legato.model.state import State
from legato.server.compose import Process, Runtime
from legato.store import open_store
from legato.store.ports import ExecutionFilter, Store

HOOKED = """id: hooked
namespace: bench.triggers
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.body.n }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: bench-key-0123456789
"""
TICKING = """id: ticking
namespace: bench.triggers
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger.date }}"
triggers:
  - id: every_second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
"""


class LocalServer(threading.Thread):
    """The API and the runtime (with the scheduler) on one event loop, as `legato server local` runs them."""

    def __init__(self, store: Store, data_dir: Path) -> None:
        super().__init__(name="bench-server", daemon=True)
        self.sock = http.bind("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.app = create_app(store, data_dir=data_dir)
        self.runtime = Runtime(store, data_dir=data_dir, run_scheduler=True)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping: asyncio.Event | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self.loop, self.stopping = asyncio.get_running_loop(), asyncio.Event()
        self.ready.set()
        await Process(self.runtime.store, self.runtime, app=self.app, sock=self.sock).run(self.stopping)

    def stop(self) -> None:
        assert self.loop is not None and self.stopping is not None
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.join(timeout=30)


def _first_running(store: Store, execution_id: str, timeout: float = 30) -> datetime:
    """The RUNNING date of the execution's first task, once it ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = store.get_execution(execution_id)
        if execution is not None and execution.state in st.TERMINAL and execution.ended is not None:
            runs = [r for r in store.task_runs(execution_id) if r.task_id == "first"]
            running = [h.date for r in runs for h in r.histories if h.state == State.RUNNING]
            assert execution.state == State.SUCCESS and running, execution.state
            return min(running)
        time.sleep(0.002)
    raise TimeoutError(f"execution {execution_id} did not end")


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def webhook_latency(server: LocalServer, store: Store, calls: int) -> list[float]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.post("/api/v1/main/flows", content=HOOKED, headers={"Content-Type": "application/x-yaml"})
        assert response.status_code == 200, response.text
        hook = "/api/v1/main/executions/webhook/bench.triggers/hooked/bench-key-0123456789"
        latencies = []
        for n in range(calls + 5):
            sent = datetime.now(UTC)
            created = client.post(hook, json={"n": n})
            assert created.status_code == 200, created.text
            latency = (_first_running(store, created.json()["id"]) - sent).total_seconds() * 1000
            if n >= 5:  # the first calls warm caches up
                latencies.append(latency)
    return latencies


def schedule_latency(server: LocalServer, store: Store, fires: int) -> list[float]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.post("/api/v1/main/flows", content=TICKING, headers={"Content-Type": "application/x-yaml"})
        assert response.status_code == 200, response.text
    deadline = time.monotonic() + fires * 3 + 30
    latencies: dict[str, float] = {}
    while len(latencies) < fires + 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        found, _ = store.search_executions(ExecutionFilter(namespace="bench.triggers", flow_id="ticking"),
                                           sort="created", descending=False, limit=500, offset=0)
        for execution in found:
            if execution.id in latencies or execution.state not in st.TERMINAL or execution.ended is None:
                continue
            scheduled = datetime.fromisoformat(execution.trigger["date"]) if execution.trigger else None
            assert scheduled is not None
            latencies[execution.id] = (_first_running(store, execution.id) - scheduled).total_seconds() * 1000
    values = list(latencies.values())[2:]  # the first fires come while the flow cache warms up
    if len(values) < fires:
        raise RuntimeError(f"only {len(values)} of {fires} schedule fires seen")
    return values[:fires]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hooks", type=int, default=100)
    parser.add_argument("--fires", type=int, default=20)
    args, _ = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'legato.db'}")
        store.migrate()
        server = LocalServer(store, Path(tmp))
        server.start()
        server.ready.wait(10)
        try:
            wait_healthy(server.url, timeout=10)
            hooks = webhook_latency(server, store, args.hooks)
            p50, p99 = _percentiles(hooks)
            print(f"scheduler[sqlite]: webhook POST sent -> first task RUNNING: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
                  f"({len(hooks)} calls; target p50 <= 50 ms)", flush=True)
            fired = schedule_latency(server, store, args.fires)
            p50, p99 = _percentiles(fired)
            print(f"scheduler[sqlite]: schedule date -> first task RUNNING: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
                  f"({len(fired)} fires of `* * * * * *`; target p50 <= 50 ms)", flush=True)
        finally:
            server.stop()
            store.close()


if __name__ == "__main__":
    main()
