"""Several hosts on one machine: each worker runs in a network namespace of its own, reaching a PostgreSQL of
the test's own through a veth link, as a worker on another machine would. Cutting one host off the network
in the middle of a run moves its work to the other host; when the link comes back, the cut-off worker's late
results are refused (fencing) and nothing succeeds twice. A host whose clock is a minute behind keeps its
jobs: leases follow the database's clock, not the host's."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from legato.clock import SKEW_ENV, utcnow
from legato.model import state as st
from legato.model.state import State
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.sql import SqlStore
from tests.services import unavailable

from .harness import Cluster, ledger, wait_until
from .invariants import assert_invariants
from .ledger_plugin import LEDGER_DDL
from .private_pg import PrivatePostgres, private_postgres

# The hosts' addresses are fixed (10.77.<n>.0/24): in a parallel run these tests go one after the other on one worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("netns")]

NETWORK = "10.77.0.0/16"
FLOW = """
id: hosts
namespace: tests.faults
tasks:
  - id: one
    type: tests.faults.Ledger
    seconds: 1
  - id: two
    type: tests.faults.Ledger
    seconds: 1
"""


@dataclass
class Host:
    """A network namespace linked to the root namespace by a veth pair on 10.77.<n>.0/24."""

    name: str
    outside: str  # the root namespace's end (the database listens there)
    link: str  # the veth device in the root namespace

    def run(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]

    def cut(self) -> None:
        _ip("link", "set", self.link, "down")

    def heal(self) -> None:
        _ip("link", "set", self.link, "up")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def _hosts(count: int) -> Iterator[list[Host]]:
    if os.geteuid() != 0 or subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        unavailable("network namespaces", "needs root and iproute2 (`ip netns`)")
    tag = secrets.token_hex(2)
    hosts = []
    try:
        for n in range(1, count + 1):
            host = Host(name=f"legato-{tag}-{n}", outside=f"10.77.{n}.1", link=f"lg{tag}o{n}")
            inside = f"lg{tag}i{n}"
            _ip("netns", "add", host.name)
            hosts.append(host)
            _ip("link", "add", host.link, "type", "veth", "peer", "name", inside)
            _ip("link", "set", inside, "netns", host.name)
            _ip("addr", "add", f"{host.outside}/24", "dev", host.link)
            _ip("link", "set", host.link, "up")
            _ip("netns", "exec", host.name, "ip", "addr", "add", f"10.77.{n}.2/24", "dev", inside)
            _ip("netns", "exec", host.name, "ip", "link", "set", inside, "up")
            _ip("netns", "exec", host.name, "ip", "link", "set", "lo", "up")
        yield hosts
    finally:
        for host in hosts:
            subprocess.run(["ip", "link", "del", host.link], capture_output=True)
            subprocess.run(["ip", "netns", "del", host.name], capture_output=True)


@pytest.fixture
def hosts() -> Iterator[list[Host]]:
    yield from _hosts(2)


@pytest.fixture
def pg(hosts: list[Host]) -> Iterator[PrivatePostgres]:
    yield from private_postgres(networks=(NETWORK,), addresses=tuple(h.outside for h in hosts))


@pytest.fixture
def store(pg: PrivatePostgres) -> Iterator[SqlStore]:
    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute(LEDGER_DDL)
    store = open_store(pg.url)
    store.migrate()
    yield store
    store.close()


def _url(pg: PrivatePostgres, host: Host) -> str:
    return f"postgresql://postgres@{host.outside}:{pg.port}/legato"


def _start_all(store: SqlStore, count: int) -> list[str]:
    record = flow_service.deploy(store, FLOW, now=utcnow(), by=SYSTEM)
    return [execution_service.create_execution(store, record.namespace, record.id, {}, now=utcnow(), by=SYSTEM).id for _ in range(count)]


def _all_ended(store: SqlStore, ids: list[str]) -> bool:
    return all(e is not None and e.state in st.TERMINAL for e in (store.get_execution(i) for i in ids))


def _where_it_stood(store: SqlStore, ids: list[str], logs: Path) -> str:
    """Executions by state, the task runs not ended, and the last lines of each process's log."""
    executions = [store.get_execution(i) for i in ids]
    states = Counter(e.state.value if e else "missing" for e in executions)
    open_runs = [f"{r.task_id}:{r.state.value}:{len(r.attempts)} attempt(s)" for e in executions
                 if e and e.state not in st.TERMINAL for r in store.task_runs(e.id) if r.state not in st.TERMINAL]
    tails = "\n".join(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:])
                      for log in sorted(logs.glob("*.log")))
    return f"executions: {dict(states)}; task runs not ended: {open_runs[:20]}\n{tails}"


def test_a_host_cut_off_the_network_hands_its_work_over_and_its_late_results_are_refused(
        pg: PrivatePostgres, hosts: list[Host], store: SqlStore, tmp_path: Path) -> None:
    cluster = Cluster(pg.url, tmp_path)
    try:
        ids = _start_all(store, 40)
        cluster.start("executor")
        workers = [cluster.start("worker", "--slots", "16", url=_url(pg, h), wrap=h.run()) for h in hosts]
        wait_until(lambda: len({row[4] for row in ledger(pg.url)}) == 2, 60, "both hosts to run tasks")
        cut_pid = workers[0].pid
        hosts[0].cut()
        cut_at = time.monotonic()
        try:
            wait_until(lambda: _all_ended(store, ids), 120, "every execution to end on the host still connected")
        except AssertionError as exc:  # say where it stood, for a failure seen once in CI and never alone
            raise AssertionError(f"{exc}\n{_where_it_stood(store, ids, tmp_path)}") from None
        handover = time.monotonic() - cut_at
        hosts[0].heal()
        time.sleep(4)  # the cut-off worker reconnects and reports what it had finished meanwhile: refused
        for execution_id in ids:
            execution = store.get_execution(execution_id)
            assert execution is not None and execution.state == State.SUCCESS, execution and execution.error
        runs = Counter(row[1] for row in ledger(pg.url))
        twice = {run for run, n in runs.items() if n > 1}
        assert all(n <= 2 for n in runs.values())
        # only tasks that were on the cut-off host ran again
        on_cut = {row[1] for row in ledger(pg.url) if row[4] == cut_pid}  # `ip netns exec` execs the worker
        assert twice <= on_cut
        assert_invariants(store, ids)
        print(f"network cut: {len(ids)} executions SUCCESS, handed over in {handover:.1f} s, "
              f"{len(twice)} task run(s) re-run on the other host")
    finally:
        for host in hosts:
            host.heal()
        cluster.stop_all()


def test_a_host_whose_clock_is_a_minute_behind_keeps_its_leases(
        pg: PrivatePostgres, hosts: list[Host], store: SqlStore, tmp_path: Path) -> None:
    cluster = Cluster(pg.url, tmp_path)
    try:
        ids = _start_all(store, 20)
        cluster.start("executor")
        cluster.start("worker", "--slots", "16", url=_url(pg, hosts[0]), wrap=hosts[0].run(),
                      env={SKEW_ENV: "-60"})
        wait_until(lambda: _all_ended(store, ids), 90, "every execution to end")
        for execution_id in ids:
            execution = store.get_execution(execution_id)
            assert execution is not None and execution.state == State.SUCCESS
        runs = Counter(row[1] for row in ledger(pg.url))
        assert set(runs.values()) == {1}, "a lease written with the host's late clock expired at once"
        assert_invariants(store, ids)
    finally:
        cluster.stop_all()

