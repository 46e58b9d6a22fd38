"""kill -9 of `legato server local` while a WorkingDirectory's second child runs: after a restart the lease
expires, the whole WorkingDirectory is resubmitted, and its children run again in a fresh shared directory."""

from __future__ import annotations

import os
import signal
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
id: wd_crash
namespace: tests.crash
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: prepare
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - echo "prepared" > state.txt
      - id: slow
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - if [ "{{ taskrun.attemptsCount }}" = "0" ]; then sleep 15; fi
          - echo '::{"outputs":{"read":"'$(cat state.txt)'","attempt":{{ taskrun.attemptsCount }}}}::'
"""


pytestmark = pytest.mark.slow



def test_a_crashed_worker_resubmits_the_whole_working_directory(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    record = flow_service.deploy(store, FLOW, now=utcnow(), by=SYSTEM)
    execution_id = execution_service.create_execution(store, record.namespace, record.id, {}, now=utcnow(), by=SYSTEM).id

    def slow_running() -> bool:
        return any(r.task_id == "slow" and r.state == State.RUNNING for r in store.task_runs(execution_id))

    server = start_local(tmp_path)
    try:
        wait_for(slow_running, 30)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        assert store.get_execution(execution_id).state not in st.TERMINAL
        server = start_local(tmp_path)
        wait_for(lambda: store.get_execution(execution_id).state in st.TERMINAL, 60)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    execution = store.get_execution(execution_id)
    runs = {r.task_id: r for r in store.task_runs(execution_id)}
    assert execution.state == State.SUCCESS, (execution.error, {k: (r.state, r.error) for k, r in runs.items()})
    assert [a.state for a in runs["wd"].attempts] == [State.RESUBMITTED, State.SUCCESS]
    assert [a.state for a in runs["prepare"].attempts] == [State.SUCCESS, State.SUCCESS]  # ran again
    assert [a.state for a in runs["slow"].attempts] == [State.RESUBMITTED, State.SUCCESS]
    assert runs["slow"].outputs["vars"] == {"read": "prepared", "attempt": 1}  # attemptsCount counts from 0
    store.close()
