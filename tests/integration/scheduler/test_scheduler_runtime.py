"""The scheduler inside the runtime (what `legato server local` runs): a every-second schedule runs to the end."""

from __future__ import annotations

import asyncio

from legato.clock import utcnow
from legato.model.state import State
from legato.server.compose import Runtime
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store.sql import SqlStore

FLOW = """id: tick
namespace: sched.runtime
triggers:
  - id: every_second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
    stopAfter: [SUCCESS]
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "fired for {{ trigger.date }}"
"""


def test_the_runtime_fires_schedules_and_runs_them(sqlite_store: SqlStore) -> None:
    flow_service.deploy(sqlite_store, FLOW, now=utcnow(), by=SYSTEM)
    runtime = Runtime(sqlite_store, poll_seconds=0.05, run_scheduler=True)

    async def main() -> None:
        stopping = asyncio.Event()
        running = asyncio.create_task(runtime.run(stopping))
        for _ in range(200):
            done = sqlite_store.list_executions(namespace="sched.runtime", states=[State.SUCCESS])
            state = sqlite_store.get_trigger_state("sched.runtime", "tick", "every_second")
            if done and state is not None and state.disabled:
                break
            await asyncio.sleep(0.05)
        stopping.set()
        await running

    asyncio.run(main())
    executions = sqlite_store.list_executions(namespace="sched.runtime")
    assert [e.state for e in executions] == [State.SUCCESS]  # stopAfter SUCCESS: one execution, then disabled
    logs = sqlite_store.logs(executions[0].id)
    assert any(r.message == f"fired for {executions[0].trigger['date']}" for r in logs)  # type: ignore[index]
    assert sqlite_store.get_trigger_state("sched.runtime", "tick", "every_second").disabled  # type: ignore[union-attr]
