"""Worker faults on PostgreSQL with real processes: kill -9 under load, lease edge cases, kill requests
while the worker is dead or a retry is pending."""

from __future__ import annotations

import itertools
import os
import random
import signal
import time
from collections import defaultdict

import pytest

from legato.clock import utcnow
from legato.model import state as st
from legato.model.state import State
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store.sql import SqlStore

from .harness import Cluster, Waves, kill9, ledger, wait_until
from .invariants import assert_invariants, violations

pytestmark = pytest.mark.slow

# 200 executions x 3 tasks x 1.2 s on 4 workers x 4 slots, held after their first task at a gate (a Pause) and let
# through in waves, one before each of the 20 kills and the last after them: the workload outlasts the kills.
THREE = """
id: three
namespace: tests.faults
tasks:
  - id: one
    type: tests.faults.Ledger
    seconds: 1.2
  - id: gate
    type: io.kestra.plugin.core.flow.Pause
  - id: two
    type: tests.faults.Ledger
    seconds: 1.2
  - id: three
    type: tests.faults.Ledger
    seconds: 1.2
"""

ONE = """
id: one
namespace: tests.faults
inputs:
  - id: seconds
    type: FLOAT
tasks:
  - id: work
    type: tests.faults.Ledger
    seconds: "{{ inputs.seconds }}"
"""

RETRYING = """
id: retrying
namespace: tests.faults
tasks:
  - id: flaky
    type: tests.faults.Ledger
    fail: true
    retry:
      type: constant
      interval: PT30S
      maxAttempts: 5
"""


def _start(store: SqlStore, source: str, count: int, inputs: dict | None = None) -> list[str]:  # type: ignore[type-arg]
    record = flow_service.deploy(store, source, now=utcnow(), by=SYSTEM)
    return [execution_service.create_execution(store, record.namespace, record.id, inputs or {}, now=utcnow(), by=SYSTEM).id
            for _ in range(count)]


def _ended(store: SqlStore, ids: list[str]) -> bool:
    return all(store.get_execution(i).state in st.TERMINAL for i in ids)  # type: ignore[union-attr]


def test_kill_9_of_random_workers_loses_nothing_and_reruns_only_their_tasks(cluster: Cluster, store: SqlStore) -> None:
    # Leases long enough that a live worker starved of CPU on a loaded CI machine (five processes here, beside the
    # other test workers) never misses one: only the killed workers' tasks may run again. The lease edge cases
    # have their own test with short leases.
    cluster.settings.update(LEASE_SECONDS="8", DEAD_AFTER_SECONDS="8")
    cluster.start("executor")
    workers = [cluster.start("worker", "--slots", "4") for _ in range(4)]
    ids = _start(store, THREE, 200)
    waves = Waves(store, ids, 21)
    killed: set[int] = set()
    rng = random.Random(4)
    kills = 0
    while kills < 20:
        waves.release()
        time.sleep(2)
        assert waves.held() and not _ended(store, ids)
        victim = rng.randrange(len(workers))
        killed.add(workers[victim].pid)
        kill9(workers[victim])
        workers[victim] = cluster.start("worker", "--slots", "4")
        kills += 1
    waves.release()
    wait_until(lambda: _ended(store, ids), 120, "every execution to end")
    assert all(store.get_execution(i).state == State.SUCCESS for i in ids)  # type: ignore[union-attr]
    attempts: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for _, run_id, _, attempt, pid in ledger(cluster.url):
        attempts[run_id].append((attempt, pid))
    assert len(attempts) == 600  # no task lost
    rerun = {run: rows for run, rows in attempts.items() if len(rows) > 1}
    for run, rows in rerun.items():
        # Only an attempt on a killed worker was run again.
        assert all(pid in killed for _, pid in rows[:-1]), (run, rows, killed)
        # Attempt numbers only grow; a gap is an attempt leased to a worker killed before the task started.
        assert all(a < b for (a, _), (b, _) in itertools.pairwise(rows)), (run, rows)
    assert rerun, "no attempt was hit by a kill"
    # At most twice, unless the second run was on a killed worker too.
    assert all(len(rows) <= 2 or rows[1][1] in killed for rows in rerun.values())
    assert_invariants(store, ids)
    print(f"\n{kills} kills, {len(rerun)} of 600 tasks re-run, max runs {max(map(len, attempts.values()))}")


def test_lease_edge_cases(cluster: Cluster, store: SqlStore) -> None:
    """A worker dead before its first heartbeat is detected; a heartbeating long task is never
    re-dispatched; a late result of a resubmitted attempt (worker frozen, then thawed) is rejected."""
    cluster.settings["LEASE_SECONDS"] = "3"  # short, yet above a busy machine's heartbeat delays
    cluster.start("executor")
    doomed = cluster.start("worker")
    early, frozen_run, long_run = _start(store, ONE, 1, {"seconds": 30}) + _start(store, ONE, 1, {"seconds": 4}) \
        + _start(store, ONE, 1, {"seconds": 6})
    wait_until(lambda: len(ledger(cluster.url)) == 3, 60, "three attempts started")
    kill9(doomed)  # dead within its first lease: its tasks must come back
    frozen = cluster.start("worker")  # a cold start takes seconds on a loaded machine: generous wait
    wait_until(lambda: len(ledger(cluster.url)) == 6, 60, "the dead worker's three tasks taken again")
    os.kill(frozen.pid, signal.SIGSTOP)  # frozen mid-task: it misses its heartbeats
    time.sleep(0.5)
    healthy = cluster.start("worker")
    wait_until(lambda: _ended(store, [frozen_run, long_run]), 40, "the frozen worker's short tasks to end")
    os.kill(frozen.pid, signal.SIGCONT)  # thawed: its late results arrive and must be fenced off
    time.sleep(2)
    execution_service.kill(store, early, by=SYSTEM)
    wait_until(lambda: _ended(store, [early]), 10, "the long task to be killed")
    rows = defaultdict(list)
    for execution_id, _, _, attempt, pid in ledger(cluster.url):
        rows[execution_id].append((attempt, pid))
    assert rows[frozen_run][:2] == [(1, doomed.pid), (2, frozen.pid)] and rows[frozen_run][2][1] == healthy.pid
    for execution_id in (frozen_run, long_run):
        run = store.task_runs(execution_id)[0]
        assert run.state == State.SUCCESS
        assert [a.state for a in run.attempts].count(State.SUCCESS) == 1  # the thawed result was rejected
    # On a live, heartbeating worker a task outliving its lease several times is not re-dispatched.
    steady = _start(store, ONE, 1, {"seconds": 9})
    wait_until(lambda: _ended(store, steady), 30, "the long heartbeating task")
    assert len([r for r in ledger(cluster.url) if r[0] == steady[0]]) == 1
    assert_invariants(store, [frozen_run, long_run, early, *steady])


def test_kill_requests_while_the_worker_is_dead_or_a_retry_is_pending(cluster: Cluster, store: SqlStore) -> None:
    cluster.settings["LEASE_SECONDS"] = "5"
    cluster.start("executor")
    worker = cluster.start("worker")
    orphaned = _start(store, ONE, 1, {"seconds": 60})[0]
    retrying = _start(store, RETRYING, 1)[0]
    wait_until(lambda: len(ledger(cluster.url)) == 2, 20, "both tasks started")
    wait_until(lambda: store.task_runs(retrying)[0].state == State.RETRYING
               or (len(store.task_runs(retrying)[0].attempts) >= 1 and store.get_execution(retrying).state == State.RUNNING),  # type: ignore[union-attr]
               10, "the retry to be pending")
    kill9(worker)
    started = time.monotonic()
    execution_service.kill(store, orphaned, by=SYSTEM)
    execution_service.kill(store, retrying, by=SYSTEM)
    wait_until(lambda: _ended(store, [orphaned, retrying]), 10, "both executions killed")
    assert time.monotonic() - started < 10
    assert store.get_execution(orphaned).state == State.KILLED  # type: ignore[union-attr]
    assert store.get_execution(retrying).state == State.KILLED  # type: ignore[union-attr]
    before = len(ledger(cluster.url))
    cluster.start("worker")
    time.sleep(3)
    assert len(ledger(cluster.url)) == before  # nothing of theirs dispatched again
    # The dead worker's flagged job stays until its lease ends (a live worker would need to see the flag).
    wait_until(lambda: not violations(store, [orphaned, retrying]), 10, "the dead worker's job to expire")
    assert len(ledger(cluster.url)) == before
