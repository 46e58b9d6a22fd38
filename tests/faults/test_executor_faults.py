"""Executor kill -9 in the middle of many executions (fan-out, a subflow, a ForEach), restarted at once,
five times: every execution ends with the result an uninterrupted run gives, no task run succeeds twice."""

from __future__ import annotations

import os
import time

import pytest

from legato.clock import utcnow
from legato.model import state as st
from legato.model.state import State
from legato.runtime import actions
from legato.store.sql import SqlStore

from .harness import Cluster, kill9, wait_until
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
    actions.deploy(store, CHILD, now=utcnow())
    record = actions.deploy(store, PARENT, now=utcnow())
    ids = [actions.create_execution(store, record.namespace, record.id, {"n": n}, now=utcnow()).id
           for n in range(COUNT)]
    executor = cluster.start("executor")
    cluster.start("worker", "--slots", "32")
    cluster.start("worker", "--slots", "32")
    def all_ended() -> bool:
        return all(store.get_execution(i).state in st.TERMINAL for i in ids)  # type: ignore[union-attr]

    for kill in range(5):
        time.sleep(2.5)
        assert not all_ended(), f"the workload ended before kill {kill + 1} of 5"
        kill9(executor)
        executor = cluster.start("executor")
    wait_until(all_ended, 120, "every execution to end")
    for n, execution_id in enumerate(ids):
        execution = store.get_execution(execution_id)
        assert execution is not None and execution.state == State.SUCCESS, (n, execution and execution.error)
        assert execution.outputs == {"result": f"a{n}-b{n}-y{n}-c{n}"}
        runs = store.task_runs(execution_id)
        assert sorted(r.task_id for r in runs) == ["a", "b", "call", "each", "fan", "item", "item"]
    children = store.list_executions(namespace="tests.faults", flow_id="child", limit=10 * COUNT)
    assert len(children) == COUNT  # one child per parent: no subflow created twice
    assert_invariants(store, ids + [c.id for c in children])
