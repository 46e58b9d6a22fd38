"""Separate role processes on PostgreSQL: the server registry, worker groups end to end, SIGTERM drains."""

from __future__ import annotations

import json
import signal

import pytest

from legato.clock import utcnow
from legato.model import state as st
from legato.model.state import State
from legato.server.presence import server_state
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store.sql import SqlStore

from .harness import Cluster, kill9, ledger, wait_until
from .invariants import assert_invariants

pytestmark = pytest.mark.slow

GROUPS = """
id: groups
namespace: tests.faults
tasks:
  - id: anywhere
    type: tests.faults.Ledger
  - id: on_gpu
    type: tests.faults.Ledger
    workerGroup:
      key: gpu
  - id: after
    type: tests.faults.Ledger
"""

LONG = """
id: long
namespace: tests.faults
inputs:
  - id: seconds
    type: FLOAT
tasks:
  - id: work
    type: tests.faults.Ledger
    seconds: "{{ inputs.seconds }}"
"""


def _servers(cluster: Cluster) -> dict[int, dict]:  # type: ignore[type-arg]
    out = cluster.cli("sys", "servers", "--json")
    assert out.returncode == 0, out.stderr
    return {row["pid"]: row for row in map(json.loads, out.stdout.splitlines())}


def _state(store: SqlStore, pid: int) -> str | None:
    rows = [r for r in store.list_servers() if r.pid == pid]
    return server_state(rows[0], utcnow(), 2.0) if rows else None


def test_registry_lists_roles_and_marks_a_killed_worker_dead(cluster: Cluster, store: SqlStore) -> None:
    executor = cluster.start("executor")
    plain = cluster.start("worker", "--slots", "4")
    gpu = cluster.start("worker", "--group", "gpu")
    wait_until(lambda: len(store.list_servers()) == 3, 20, "three registered servers")
    listed = _servers(cluster)
    assert listed[executor.pid]["roles"] == ["executor"] and listed[executor.pid]["state"] == "RUNNING"
    assert listed[plain.pid]["slots"] == 4 and listed[plain.pid]["groups"] == ["-"]
    assert listed[gpu.pid]["groups"] == ["gpu"]
    kill9(gpu)
    wait_until(lambda: _state(store, gpu.pid) == "DEAD", 10, "the killed worker listed DEAD")
    plain.send_signal(signal.SIGTERM)
    assert plain.wait(timeout=15) == 0
    listed = _servers(cluster)
    assert [listed[p]["state"] for p in (executor.pid, plain.pid, gpu.pid)] == ["RUNNING", "STOPPED", "DEAD"]
    table = cluster.cli("sys", "servers")
    assert "DEAD" in table.stdout and "STOPPED" in table.stdout and "RUNNING" in table.stdout


def test_a_worker_group_task_runs_only_on_workers_of_that_group(cluster: Cluster, store: SqlStore) -> None:
    cluster.start("executor")
    plain = cluster.start("worker")
    record = flow_service.deploy(store, GROUPS, now=utcnow(), by=SYSTEM)
    ids = [execution_service.create_execution(store, record.namespace, record.id, {}, now=utcnow(), by=SYSTEM).id for _ in range(5)]
    # No worker serves `gpu` yet: every execution waits at on_gpu.
    wait_until(lambda: len([r for r in ledger(cluster.url) if r[2] == "anywhere"]) == 5, 30, "first tasks")
    assert all(store.get_execution(i).state == State.RUNNING for i in ids)  # type: ignore[union-attr]
    assert not [r for r in ledger(cluster.url) if r[2] == "on_gpu"]
    gpu = cluster.start("worker", "--group", "gpu")
    wait_until(lambda: all(store.get_execution(i).state in st.TERMINAL for i in ids), 30, "executions to end")
    assert all(store.get_execution(i).state == State.SUCCESS for i in ids)  # type: ignore[union-attr]
    pids = {task: {r[4] for r in ledger(cluster.url) if r[2] == task} for task in ("anywhere", "on_gpu", "after")}
    assert pids == {"anywhere": {plain.pid}, "on_gpu": {gpu.pid}, "after": {plain.pid}}
    assert_invariants(store, ids)


def test_sigterm_lets_a_short_task_finish_and_hands_a_long_one_back(cluster: Cluster, store: SqlStore) -> None:
    cluster.settings["DRAIN_SECONDS"] = "1.5"
    cluster.start("executor")
    first = cluster.start("worker")
    record = flow_service.deploy(store, LONG, now=utcnow(), by=SYSTEM)
    short = execution_service.create_execution(store, record.namespace, record.id, {"seconds": 0.5}, now=utcnow(), by=SYSTEM).id
    long = execution_service.create_execution(store, record.namespace, record.id, {"seconds": 60}, now=utcnow(), by=SYSTEM).id
    wait_until(lambda: len(ledger(cluster.url)) == 2, 20, "both tasks started")
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=10) == 0  # drained within the grace period, exit 0
    assert store.get_execution(short).state == State.SUCCESS  # type: ignore[union-attr]
    assert store.get_execution(long).state == State.RUNNING  # type: ignore[union-attr]
    # The long task was handed back, not left to its lease: a new worker takes it at once, same attempt.
    cluster.settings["LEASE_SECONDS"] = "600"
    second = cluster.start("worker")
    wait_until(lambda: len(ledger(cluster.url)) == 3, 20, "the long task taken by the second worker")
    rows = [r for r in ledger(cluster.url) if r[0] == long]
    assert [(r[3], r[4]) for r in rows] == [(1, first.pid), (1, second.pid)]
    assert [r[4] for r in ledger(cluster.url) if r[0] == short] == [first.pid]
