"""PostgreSQL goes away in the middle of 100 running executions, then comes back: every Legato process either
reconnects or exits non-zero (this test then restarts it, as a supervisor would), none idles silently, and all
100 executions finish with their results."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from legato.clock import utcnow
from legato.model import state as st
from legato.model.state import State
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.sql import SqlStore

from .harness import Cluster, wait_until
from .invariants import assert_invariants
from .ledger_plugin import LEDGER_DDL
from .private_pg import PrivatePostgres, private_postgres

pytestmark = pytest.mark.slow

COUNT = 100
FLOW = """
id: steady
namespace: tests.faults
inputs:
  - id: n
    type: INT
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "f{{ inputs.n }}"
  - id: pause
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT2S
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.first.value }}-l{{ inputs.n }}"
outputs:
  - id: result
    type: STRING
    value: "{{ outputs.last.value }}"
"""


@pytest.fixture
def pg() -> Iterator[PrivatePostgres]:
    yield from private_postgres()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgres_restart_mid_run_loses_nothing(pg: PrivatePostgres, tmp_path: Path, mode: str) -> None:
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute(LEDGER_DDL)
    store: SqlStore = open_store(pg.url)
    store.migrate()
    cluster = Cluster(pg.url, tmp_path)
    try:
        record = flow_service.deploy(store, FLOW, now=utcnow(), by=SYSTEM)
        ids = [execution_service.create_execution(store, record.namespace, record.id, {"n": n}, now=utcnow(), by=SYSTEM).id
               for n in range(COUNT)]
        roles = [("executor",), ("worker", "--slots", "64"), ("worker", "--slots", "64")]
        processes = [cluster.start(*role) for role in roles]
        wait_until(lambda: _running(pg.url) >= 20, 60, "executions to be under way")
        pg.stop(mode)
        time.sleep(3)  # long enough for every process to notice
        pg.start()
        pg.wait_ready()
        restarts = 0
        deadline = time.monotonic() + 120
        while not _all_ended(pg.url, ids):
            assert time.monotonic() < deadline, f"still running: {COUNT - _ended(pg.url, ids)} executions"
            for i, process in enumerate(processes):
                code = process.poll()
                if code is not None:  # a supervisor restarts a process that exited; it must say it failed
                    assert code != 0, f"{roles[i]} exited 0 while the database was away: it gave up silently"
                    processes[i] = cluster.start(*roles[i])
                    restarts += 1
            time.sleep(0.2)
        store.database.engine.dispose()  # its pooled connections died with the server
        for n, execution_id in enumerate(ids):
            execution = store.get_execution(execution_id)
            assert execution is not None and execution.state == State.SUCCESS, (n, execution and execution.error)
            assert execution.outputs == {"result": f"f{n}-l{n}"}
        assert_invariants(store, ids)
        alive = [p.poll() is None for p in processes]
        assert all(alive), f"processes down at the end: {alive}"
        print(f"postgres {mode} restart: {COUNT} executions ended SUCCESS, {restarts} process restart(s)")
    finally:
        cluster.stop_all()
        store.close()


def _running(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM executions WHERE state = 'RUNNING'").fetchone()
        return int(row[0]) if row else 0


def _ended(url: str, ids: list[str]) -> int:
    terminal = [s.value for s in st.TERMINAL]
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute("SELECT count(*) FROM executions WHERE id = ANY(%s) AND state = ANY(%s)",
                               (ids, terminal)).fetchone()
            return int(row[0]) if row else 0
    except psycopg.OperationalError:
        return 0


def _all_ended(url: str, ids: list[str]) -> bool:
    return _ended(url, ids) == len(ids)
