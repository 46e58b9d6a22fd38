"""Executor kill -9 in the middle of many executions (fan-out, a subflow, a ForEach), restarted at once,
five times: every execution ends with the result an uninterrupted run gives, no task run succeeds twice.
The executions wait at a gate (a Pause) and are let through in waves, one before each kill and the last after
the fifth, so that the workload outlasts the kills on any machine."""

from __future__ import annotations

import os

import pytest

from legato.clock import utcnow
from legato.model import state as st
from legato.model.state import State
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store.sql import SqlStore

from .harness import Cluster, Waves, kill9, wait_until
from .invariants import assert_invariants

pytestmark = pytest.mark.slow

CHILD = """
id: child
namespace: tests.faults
inputs:
  - id: n
    type: INT
tasks:
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    format: "c{{ inputs.n }}"
outputs:
  - id: r
    type: STRING
    value: "{{ outputs.echo.value }}"
"""

PARENT = """
id: parent
namespace: tests.faults
inputs:
  - id: n
    type: INT
tasks:
  - id: fan
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: a
        type: io.kestra.plugin.core.debug.Return
        format: "a{{ inputs.n }}"
      - id: b
        type: io.kestra.plugin.core.debug.Return
        format: "b{{ inputs.n }}"
  - id: gate
    type: io.kestra.plugin.core.flow.Pause
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["x", "y"]
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.value }}{{ inputs.n }}"
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: tests.faults
    flowId: child
    inputs:
      n: "{{ inputs.n }}"
outputs:
  - id: result
    type: STRING
    value: "{{ outputs.a.value }}-{{ outputs.b.value }}-{{ outputs.item['y'].value }}-{{ outputs.call.outputs.r }}"
"""

COUNT = int(os.environ.get("LEGATO_FAULT_EXECUTIONS", "500"))


def test_executor_kill_9_five_times_changes_no_result(cluster: Cluster, store: SqlStore) -> None:
    flow_service.deploy(store, CHILD, now=utcnow(), by=SYSTEM)
    record = flow_service.deploy(store, PARENT, now=utcnow(), by=SYSTEM)
    ids = [execution_service.create_execution(store, record.namespace, record.id, {"n": n}, now=utcnow(), by=SYSTEM).id
           for n in range(COUNT)]
    executor = cluster.start("executor")
    cluster.start("worker", "--slots", "32")
    cluster.start("worker", "--slots", "32")
    waves = Waves(store, ids, 6)

    def all_ended() -> bool:
        return all(store.get_execution(i).state in st.TERMINAL for i in ids)  # type: ignore[union-attr]

    for _ in range(5):
        wave = waves.release()
        wait_until(lambda: waves.moving(wave), 60, "the executor to take up the released wave")  # noqa: B023
        assert waves.held() and not all_ended()
        kill9(executor)  # mid-wave: the executor was working on it
        executor = cluster.start("executor")
    waves.release()
    wait_until(all_ended, 180, "every execution to end")
    for n, execution_id in enumerate(ids):
        execution = store.get_execution(execution_id)
        assert execution is not None and execution.state == State.SUCCESS, (n, execution and execution.error)
        assert execution.outputs == {"result": f"a{n}-b{n}-y{n}-c{n}"}
        runs = store.task_runs(execution_id)
        assert sorted(r.task_id for r in runs) == ["a", "b", "call", "each", "fan", "gate", "item", "item"]
    children = store.list_executions(namespace="tests.faults", flow_id="child", limit=10 * COUNT)
    assert len(children) == COUNT  # one child per parent: no subflow created twice
    assert_invariants(store, ids + [c.id for c in children])
