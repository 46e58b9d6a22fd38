"""kill -9 of `legato server local` in the middle of 20 running executions: after a restart every one of
them ends with the result an uninterrupted run gives."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from tests.e2e.local_server import start_local, wait_for

from legato.clock import utcnow
from legato.model import state as st
from legato.model.state import State
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store

FLOW = """
id: crashy
namespace: tests.crash
inputs:
  - id: n
    type: INT
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.n * 2 }}"
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1.5S
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b"]
    tasks:
      - id: item
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.value }}{{ inputs.n }}"
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.first.value }}-{{ outputs.item.b.value }}"
outputs:
  - id: result
    type: STRING
    value: "{{ outputs.last.value }}"
"""


pytestmark = pytest.mark.slow



def test_kill_9_mid_run_loses_nothing(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    record = flow_service.deploy(store, FLOW, now=utcnow(), by=SYSTEM)
    ids = [execution_service.create_execution(store, record.namespace, record.id, {"n": i}, now=utcnow(), by=SYSTEM).id for i in range(20)]

    server = start_local(tmp_path)
    try:
        # Crash while every execution is under way: each has started and none has ended.
        wait_for(lambda: all(store.get_execution(i).state == State.RUNNING for i in ids), 30)
        time.sleep(0.5)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        states = [store.get_execution(i).state for i in ids]
        assert all(s not in st.TERMINAL for s in states), states

        server = start_local(tmp_path)
        wait_for(lambda: all(store.get_execution(i).state in st.TERMINAL for i in ids), 60)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    resubmitted = 0
    for n, execution_id in enumerate(ids):
        execution = store.get_execution(execution_id)
        assert execution.state == State.SUCCESS, (execution.state, execution.error)
        assert execution.outputs == {"result": f"{n * 2}-b{n}"}
        runs = store.task_runs(execution_id)
        assert sorted(r.task_id for r in runs) == ["each", "first", "item", "item", "last", "nap"]
        assert all(r.state == State.SUCCESS for r in runs)
        resubmitted += sum(1 for r in runs if State.RESUBMITTED in [a.state for a in r.attempts])
    # The crash hit attempts on the dead worker: they were resubmitted, not lost, and not run twice to success.
    assert resubmitted > 0
    store.close()
