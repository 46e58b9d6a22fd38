"""Flow triggers end to end on SQLite and PostgreSQL: real executions end, the scheduler fires the flows
listening to them exactly once, with inputs from the upstream outputs, through conditions and preconditions."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from legato.clock import utcnow
from legato.model.execution import Execution
from legato.model.state import State
from legato.scheduler.service import Scheduler
from legato.server.compose import Runtime
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM, in_tenant
from legato.store import open_store
from legato.store.ports import TenantRecord
from legato.store.sql import SqlStore

UPSTREAM = """id: extract
namespace: ft.up
labels:
  team: data
inputs:
  - id: fail
    type: BOOLEAN
    defaults: false
  - id: day
    type: STRING
    defaults: "2025-01-15"
tasks:
  - id: value
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.day }}"
  - id: maybe_fail
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ inputs.fail }}"
outputs:
  - id: date
    type: STRING
    value: "{{ outputs.value.value }}"
"""

OTHER = """id: load
namespace: ft.up
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: loaded
"""

TRANSFORM = """id: transform
namespace: ft.down
inputs:
  - id: date
    type: STRING
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "from {{ trigger.executionId }} ({{ trigger.state }}): {{ inputs.date }}"
triggers:
  - id: after_extract
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      date: "{{ trigger.outputs.date }}"
    labels:
      source: flow-trigger
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionOutputs
        expression: "{{ trigger.outputs.date is defined }}"
    preconditions:
      id: extract
      flows:
        - namespace: ft.up
          flowId: extract
          states: [SUCCESS]
"""

ON_FAILURE = """id: alert
namespace: ft.down
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.flowId }} ended {{ trigger.state }}"
triggers:
  - id: failures
    type: io.kestra.core.models.triggers.types.Flow
    states: [FAILED]
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionNamespace
        namespace: ft.up
        comparison: PREFIX
      - type: io.kestra.plugin.core.condition.ExecutionLabels
        labels: {team: data}
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ trigger.flowId == 'extract' }}"
"""

BOTH = """id: join
namespace: ft.down
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "both done"
triggers:
  - id: both
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: both
      timeWindow:
        type: SLIDING_WINDOW
        window: PT1H
      resetOnSuccess: {reset}
      flows:
        - {{namespace: ft.up, flowId: extract}}
        - {{namespace: ft.up, flowId: load}}
"""

SELF = """id: echo
namespace: ft.self
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.executionId ?? 'manual' }}"
triggers:
  - id: anything
    type: io.kestra.plugin.core.trigger.Flow
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'legato.db'}"
    pg_url: str = request.getfixturevalue("pg_url")
    return pg_url


@pytest.fixture
def store(url: str) -> Iterator[SqlStore]:
    store = open_store(url)
    store.migrate()
    yield store
    store.close()


def _run(store: SqlStore, until: Callable[[], bool], *, scheduler: bool = True, timeout: float = 30.0) -> None:
    """Run executor, worker (and scheduler) until `until()` holds and nothing moves any more."""
    runtime = Runtime(store, poll_seconds=0.05, run_scheduler=scheduler)

    async def main() -> None:
        stopping = asyncio.Event()
        running = asyncio.create_task(runtime.run(stopping))
        deadline = time.monotonic() + timeout
        while not (await asyncio.to_thread(_settled, store, until)):
            if time.monotonic() > deadline:
                stopping.set()
                await running
                raise AssertionError("the flows did not settle in time")
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # anything late (a second fire) would show now
        stopping.set()
        await running

    asyncio.run(main())


def _settled(store: SqlStore, until: Callable[[], bool]) -> bool:
    active = [e for e in store.list_executions(limit=1000) if e.state not in {State.SUCCESS, State.FAILED, State.WARNING, State.KILLED}]
    return not active and until()


def _of(store: SqlStore, flow_id: str) -> list[Execution]:
    return [e for e in store.list_executions(limit=1000) if e.flow_id == flow_id]


def _deploy(store: SqlStore, *sources: str) -> None:
    for source in sources:
        flow_service.deploy(store, source, now=utcnow(), by=SYSTEM)


def _start(store: SqlStore, namespace: str, flow_id: str, **inputs: object) -> Execution:
    return execution_service.create_execution(store, namespace, flow_id, inputs, now=utcnow(), by=SYSTEM)


def test_an_upstream_success_runs_the_downstream_flow_with_its_outputs(store: SqlStore) -> None:
    _deploy(store, UPSTREAM, TRANSFORM)
    upstream = _start(store, "ft.up", "extract", day="2025-02-01")
    _run(store, lambda: len(_of(store, "transform")) == 1 and store.pending_ends() == 0)
    [down] = _of(store, "transform")
    assert down.state == State.SUCCESS
    assert down.inputs == {"date": "2025-02-01"}
    assert ("source", "flow-trigger") in {(lb.key, lb.value) for lb in down.labels}
    assert down.trigger is not None and down.trigger["executionId"] == upstream.id
    assert (down.trigger["namespace"], down.trigger["flowId"], down.trigger["state"]) == ("ft.up", "extract", "SUCCESS")
    assert any(r.message == f"from {upstream.id} (SUCCESS): 2025-02-01" for r in store.logs(down.id))
    # a failed upstream is not in the preconditions' states
    _start(store, "ft.up", "extract", fail=True)
    _run(store, lambda: store.pending_ends() == 0)
    assert len(_of(store, "transform")) == 1


def test_states_and_conditions_filter_the_upstream_executions(store: SqlStore) -> None:
    _deploy(store, UPSTREAM, OTHER, ON_FAILURE)
    _start(store, "ft.up", "extract")  # SUCCESS: not in states
    _start(store, "ft.up", "load")  # no team label
    failed = _start(store, "ft.up", "extract", fail=True)
    _run(store, lambda: store.pending_ends() == 0 and len(_of(store, "alert")) >= 1)
    [alert] = _of(store, "alert")
    assert alert.trigger is not None and alert.trigger["executionId"] == failed.id
    assert any(r.message == "extract ended FAILED" for r in store.logs(alert.id))


@pytest.mark.parametrize("reset", [True, False])
def test_preconditions_wait_for_both_upstream_flows_in_the_window(store: SqlStore, reset: bool) -> None:
    for source in (UPSTREAM, OTHER, BOTH.format(reset=str(reset).lower())):
        _deploy(store, source)
    _start(store, "ft.up", "extract")
    _run(store, lambda: store.pending_ends() == 0)
    assert _of(store, "join") == []
    state = store.get_precondition("ft.down", "join", "both")
    assert state is not None and set(state.met) == {"flows[0]"}
    _start(store, "ft.up", "load")
    _run(store, lambda: store.pending_ends() == 0 and len(_of(store, "join")) == 1)
    _start(store, "ft.up", "extract")  # with reset: one of two again; without: both still met, fires again
    _run(store, lambda: store.pending_ends() == 0 and len(_of(store, "join")) >= (1 if reset else 2))
    assert len(_of(store, "join")) == (1 if reset else 2)
    assert all(e.state == State.SUCCESS for e in _of(store, "join"))


def test_an_end_recorded_while_no_scheduler_runs_fires_once_when_one_starts(store: SqlStore) -> None:
    _deploy(store, UPSTREAM, TRANSFORM)
    upstream = _start(store, "ft.up", "extract")
    _run(store, lambda: store.get_execution(upstream.id).state == State.SUCCESS, scheduler=False)  # type: ignore[union-attr]
    # its start and its end are queued; the start is dropped at once, as no Flow trigger listens to RUNNING
    assert store.pending_ends() == 2 and _of(store, "transform") == []
    scheduler = Scheduler(store)
    assert scheduler.flow_triggers.tick() == 1
    assert scheduler.flow_triggers.tick() == 0
    assert Scheduler(store).flow_triggers.tick() == 0  # a restarted scheduler finds nothing left
    [down] = _of(store, "transform")
    assert down.trigger is not None and down.trigger["executionId"] == upstream.id


def test_two_schedulers_fire_each_end_once(url: str, store: SqlStore) -> None:
    _deploy(store, UPSTREAM, TRANSFORM)
    upstream = [_start(store, "ft.up", "extract", day=f"2025-03-{i + 10}") for i in range(12)]
    _run(store, lambda: all(store.get_execution(u.id).state == State.SUCCESS for u in upstream),  # type: ignore[union-attr]
         scheduler=False)
    assert store.pending_ends() == 24  # each start and each end
    other = open_store(url)
    try:
        schedulers = [Scheduler(store), Scheduler(other)]
        barrier = threading.Barrier(2)
        consumed: list[int] = []

        def drain(scheduler: Scheduler) -> None:
            barrier.wait()
            while (n := scheduler.flow_triggers.tick()) > 0:
                consumed.append(n)

        threads = [threading.Thread(target=drain, args=(s,)) for s in schedulers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    assert sum(consumed) == 12 and store.pending_ends() == 0
    downstream = _of(store, "transform")
    assert sorted(d.trigger["executionId"] for d in downstream) == sorted(u.id for u in upstream)  # type: ignore[index]
    assert sorted(d.inputs["date"] for d in downstream) == [f"2025-03-{i + 10}" for i in range(12)]


BAD_INPUTS = """id: strict
namespace: ft.down
inputs:
  - id: count
    type: INT
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.count }}"
triggers:
  - id: after_extract
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      count: "{{ trigger.outputs.date }}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: ft.up
        flowId: extract
"""


def test_a_trigger_whose_inputs_are_invalid_creates_nothing_and_holds_up_no_other(store: SqlStore) -> None:
    _deploy(store, UPSTREAM, BAD_INPUTS, TRANSFORM)
    _start(store, "ft.up", "extract")
    _run(store, lambda: store.pending_ends() == 0 and len(_of(store, "transform")) == 1)
    assert _of(store, "strict") == []


APPROVAL = """id: approval
namespace: ft.up
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT0.3S
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: done
"""

ON_PAUSE = """id: notify
namespace: ft.down
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.flowId }} is {{ trigger.state }}"
triggers:
  - id: paused
    type: io.kestra.plugin.core.trigger.Flow
    states: [PAUSED]
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: ft.up
        flowId: approval
"""


def test_a_pause_fires_a_trigger_listening_for_paused_even_once_resumed(store: SqlStore) -> None:
    _deploy(store, APPROVAL, ON_PAUSE)
    upstream = _start(store, "ft.up", "approval")
    _run(store, lambda: store.pending_ends() == 0 and len(_of(store, "notify")) == 1)
    assert store.get_execution(upstream.id).state == State.SUCCESS  # type: ignore[union-attr]
    [notified] = _of(store, "notify")  # the pause fired it, the end (SUCCESS) did not
    assert notified.trigger is not None and notified.trigger["state"] == "PAUSED"
    assert any(r.message == "approval is PAUSED" for r in store.logs(notified.id))


def test_a_flow_listening_to_every_execution_does_not_loop_on_itself(store: SqlStore) -> None:
    _deploy(store, SELF)
    manual = _start(store, "ft.self", "echo")
    _run(store, lambda: store.pending_ends() == 0 and len(_of(store, "echo")) >= 2)
    runs = _of(store, "echo")
    assert len(runs) == 2  # the manual run fired it once; the fired run does not fire itself again
    [fired] = [e for e in runs if e.id != manual.id]
    assert fired.trigger is not None and fired.trigger["executionId"] == manual.id


def test_a_scheduler_on_another_connection_pool_is_woken_by_notify(pg_url: str) -> None:
    """PostgreSQL: the executor's commit NOTIFYs `ends`; a scheduler with its own store (as in another process)
    fires well before its 5-second fallback poll."""
    executor_side, scheduler_side = open_store(pg_url), open_store(pg_url)
    try:
        _deploy(executor_side, UPSTREAM, TRANSFORM)
        runtime = Runtime(executor_side, poll_seconds=0.05)
        scheduler = Scheduler(scheduler_side, poll_seconds=60)

        async def main() -> float:
            stopping = asyncio.Event()
            tasks = [asyncio.create_task(runtime.run(stopping)), asyncio.create_task(scheduler.run(stopping))]
            await asyncio.sleep(0.5)  # the listener connects
            upstream = _start(executor_side, "ft.up", "extract")
            started = time.monotonic()
            while not _of(executor_side, "transform"):
                assert time.monotonic() - started < 4.0, "the scheduler was not woken"
                await asyncio.sleep(0.02)
            waited = time.monotonic() - started
            assert _of(executor_side, "transform")[0].trigger["executionId"] == upstream.id  # type: ignore[index]
            stopping.set()
            await asyncio.gather(*tasks)
            return waited

        assert asyncio.run(main()) < 4.0
    finally:
        executor_side.close()
        scheduler_side.close()


def test_a_flow_trigger_fires_in_its_own_tenant_only(store: SqlStore) -> None:
    """The same upstream and downstream flows in main and in another tenant: an upstream execution of that tenant
    fires that tenant's downstream flow only, with its precondition window kept in that tenant."""
    store.create_tenant(TenantRecord("acme", "Acme", utcnow(), utcnow()))
    acme = in_tenant(SYSTEM, "acme")
    _deploy(store, UPSTREAM, TRANSFORM)
    for source in (UPSTREAM, TRANSFORM):
        flow_service.deploy(store, source, now=utcnow(), by=acme)
    upstream = execution_service.create_execution(store, "ft.up", "extract", {"day": "2025-03-01"}, now=utcnow(), by=acme)

    def theirs(flow_id: str) -> list[Execution]:
        return [e for e in store.list_executions(limit=1000, tenant="acme") if e.flow_id == flow_id]

    _run(store, lambda: len(theirs("transform")) == 1 and theirs("transform")[0].state == State.SUCCESS
         and store.pending_ends() == 0)
    [down] = theirs("transform")
    assert down.tenant == "acme" and down.inputs == {"date": "2025-03-01"}
    assert down.trigger is not None and down.trigger["executionId"] == upstream.id
    assert _of(store, "transform") == [] and _of(store, "extract") == []  # nothing ran in main
    assert store.get_precondition("ft.down", "transform", "after_extract") is None
