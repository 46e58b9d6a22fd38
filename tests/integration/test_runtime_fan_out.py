"""Fan-outs through the whole runtime (executor, its local worker and the batched event loop side by side) on SQLite
and PostgreSQL: every iteration and branch is counted once, so the flowable ends, and ends when its last child does.

On PostgreSQL the local worker's result transactions and the executor's batches wait for each other's row lock on
the execution: a read of the parent run in the statement that waited would see it as before the other transaction
committed, lose its counter updates, and leave the ForEach running forever (or end it early)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.clock import utcnow
from legato.model.state import State
from legato.server.compose import Runtime
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.sql import SqlStore

ITEMS = 400
BRANCHES = 60
FLOW = f"""id: fan
namespace: fan.out
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{{{ range(0, {ITEMS - 1}) }}}}"
    concurrencyLimit: 0
    tasks:
      - id: ret
        type: io.kestra.plugin.core.debug.Return
        format: "{{{{ taskrun.value }}}}"
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
{"".join(f'''      - id: b{i}
        type: io.kestra.plugin.core.debug.Return
        format: b{i}
''' for i in range(BRANCHES))}"""


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    url = f"sqlite:///{tmp_path / 'legato.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = open_store(url)
    opened.migrate()
    yield opened
    opened.close()


def test_every_iteration_and_branch_is_counted_once(store: SqlStore) -> None:
    runtime = Runtime(store, poll_seconds=0.05)
    record = flow_service.deploy(store, FLOW, now=utcnow(), flows=runtime.flows, by=SYSTEM)

    async def main() -> str:
        stopping = asyncio.Event()
        running = asyncio.create_task(runtime.run(stopping))
        try:
            execution = await asyncio.to_thread(execution_service.create_execution, store, record.namespace,
                                                record.id, {}, by=SYSTEM, now=utcnow(), flows=runtime.flows)
            final = await execution_service.wait_for_end(store, execution.id, timeout=90)
            assert final.state == State.SUCCESS, final.error
            return final.id
        finally:
            stopping.set()
            await running

    execution_id = asyncio.run(main())
    runs = store.task_runs(execution_id)
    by_task: dict[str, list[State]] = {}
    for run in runs:
        by_task.setdefault(run.task_id, []).append(run.state)
    assert by_task["ret"] == [State.SUCCESS] * ITEMS
    assert sorted(by_task) == sorted(["each", "ret", "par", *(f"b{i}" for i in range(BRANCHES))])
    each = next(r for r in runs if r.task_id == "each")
    last_iteration = max(r.histories[-1].date for r in runs if r.task_id == "ret")
    assert each.state == State.SUCCESS and each.histories[-1].date >= last_iteration  # not ended before its last child
