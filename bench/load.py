"""Load benchmark: N concurrent API clients create executions of a 2-task flow for a fixed time.

- PostgreSQL: a throw-away database served by `legato server webserver` + `legato server executor` and K
  `legato server worker` processes (the roles of `server standalone`, split so that the K workers run every
  task; `--standalone` runs `server standalone` itself, whose in-process worker then takes the jobs its
  executor dispatches). With `--kill-worker` (default on) one worker is killed -9 half way through.
- SQLite: `legato server local`.

Prints executions/s completed, p50/p95/p99 end-to-end latency (created -> ended, from each execution's own
timestamps), API create latency p50/p99 and CPU seconds per process (from /proc/<pid>/stat; on PostgreSQL
also its backends). Then checks that every created execution ended SUCCESS, each task run once (a task run
has a second attempt only when the killed worker held its job, read while the worker was stopped just before
the kill; the Log task wrote one line per attempt) and that no execution exists that no client created.

    .venv/bin/python bench/load.py [--clients 16] [--seconds 30] [--workers 2] [--no-kill-worker]
                                   [--backend postgresql|sqlite|both] [--standalone]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, select
from support import ADMIN_URL, listening_url, pg_database, wait_healthy

from legato.store import open_store
from legato.store.ports import Store
from legato.store.schema import executions, jobs, logs, task_runs

LEGATO = str(Path(sys.executable).with_name("legato"))
FLOW = """id: two
namespace: bench.load
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "ran {{ execution.id }}"
  - id: give
    type: io.kestra.plugin.core.debug.Return
    format: "{{ execution.id }}"
"""
CREATE = "/api/v1/main/executions/bench.load/two"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15 of stat)


class Role:
    """A server process of the benchmark and its CPU time over the window."""

    def __init__(self, name: str, process: subprocess.Popen[str]):
        self.name = name
        self.process = process
        self.cpu_start = 0.0
        self.cpu_end: float | None = None  # read just before a kill

    def cpu(self) -> float:
        end = self.cpu_end if self.cpu_end is not None else cpu_seconds(self.process.pid)
        return end - self.cpu_start


class Tally:
    """What the clients saw: the ids created, each create's latency, the failed requests by kind."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.create_ms: list[float] = []
        self.errors: Counter[str] = Counter()


async def _client(http: httpx.AsyncClient, until: float, tally: Tally) -> None:
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            response = await http.post(CREATE)
        except httpx.HTTPError as exc:
            tally.errors[type(exc).__name__] += 1
            continue
        if response.status_code != 200:
            tally.errors[f"HTTP {response.status_code}"] += 1
            continue
        tally.create_ms.append((time.perf_counter() - started) * 1000)
        tally.ids.append(response.json()["id"])


async def drive(url: str, clients: int, seconds: float, on_half: Iterator[None] | None) -> Tally:
    """`clients` concurrent clients POSTing executions for `seconds`; `on_half` is stepped once half way."""
    tally = Tally()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        until = time.monotonic() + seconds
        run = asyncio.gather(*(_client(http, until, tally) for _ in range(clients)))
        if on_half is not None:
            await asyncio.sleep(seconds / 2)
            next(on_half, None)
        await run
    return tally


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def wait_terminal(store: Store, ids: set[str], timeout: float) -> None:
    """Until every execution of `ids` has ended (or `timeout`)."""
    deadline = time.monotonic() + timeout
    with store.database.engine.connect() as conn:
        while time.monotonic() < deadline:
            left = conn.execute(select(func.count()).where(executions.c.ended.is_(None))).scalar()
            conn.rollback()
            if not left:
                return
            time.sleep(0.2)
    raise AssertionError(f"{left} executions not ended {timeout:.0f} s after the load stopped")


def check(store: Store, tally: Tally, held: set[str]) -> tuple[list[float], int]:
    """The end-to-end latencies (ms); raises when an execution was lost, duplicated or ran a task twice (a second
    attempt is allowed only for the task runs whose job the killed worker `held`). Returns the latencies and how
    many task runs were re-dispatched."""
    created = set(tally.ids)
    assert len(created) == len(tally.ids), "the API returned one execution id twice"
    with store.database.engine.connect() as conn:
        rows = conn.execute(select(executions.c.id, executions.c.state, executions.c.created, executions.c.ended)).all()
        runs = conn.execute(select(task_runs.c.id, task_runs.c.execution_id, task_runs.c.state, task_runs.c.data)).all()
        lines = Counter(conn.execute(select(logs.c.task_run_id, logs.c.attempt)
                                     .where(logs.c.message.like("ran %"))).all())
    found = {r.id for r in rows}
    assert found == created, (f"{len(created - found)} created executions missing, "
                              f"{len(found - created)} executions no client created")
    bad = Counter(r.state for r in rows if r.state != "SUCCESS")
    assert not bad, f"executions not SUCCESS: {dict(bad)}"
    per_execution = Counter(r.execution_id for r in runs)
    assert all(per_execution[i] == 2 for i in created), "an execution has other than 2 task runs"
    redispatched = 0
    for run in runs:
        assert run.state == "SUCCESS", f"task run {run.id} ended {run.state}"
        attempts = run.data.attempts
        assert len(attempts) <= 1 or (len(attempts) == 2 and run.id in held), \
            f"task run {run.id} ran {len(attempts)} times, its job not held by the killed worker: {attempts}"
        redispatched += len(attempts) > 1
        if run.data.task_id == "say":
            twice = [a for (tr, a), n in lines.items() if tr == run.id and n > 1]
            assert not twice, f"task run {run.id} wrote its log line more than once in attempt {twice}"
            assert sum(n for (tr, _), n in lines.items() if tr == run.id) >= 1, f"task run {run.id} logged nothing"
    latencies = sorted((r.ended - r.created).total_seconds() * 1000 for r in rows)
    return latencies, redispatched


def jobs_of(store: Store, pid: int) -> set[str]:
    """The task runs whose jobs the worker process `pid` holds."""
    with store.database.engine.connect() as conn:
        return set(conn.execute(select(jobs.c.task_run_id).where(jobs.c.worker_id.like(f"%:{pid}:%"))).scalars())


def report(label: str, tally: Tally, seconds: float, latencies: list[float], completed_in_window: int,
           roles: list[Role], backends_cpu: float | None) -> None:
    create = sorted(tally.create_ms)
    errors = f", {sum(tally.errors.values())} failed requests {dict(tally.errors)}" if tally.errors else ""
    print(f"load[{label}]: {len(tally.ids)} executions created in {seconds:.0f} s ({len(tally.ids) / seconds:.0f}/s)"
          f"{errors}; {completed_in_window / seconds:.0f} executions/s completed in the window", flush=True)
    print(f"load[{label}]: end-to-end (created -> ended) p50 {percentile(latencies, 0.5):.0f} ms, "
          f"p95 {percentile(latencies, 0.95):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms; "
          f"API create p50 {percentile(create, 0.5):.1f} ms, p99 {percentile(create, 0.99):.1f} ms", flush=True)
    cpu = ", ".join(f"{r.name} {r.cpu():.1f}" for r in roles)
    total = sum(r.cpu() for r in roles)
    if backends_cpu is not None:
        cpu += f", postgres backends {backends_cpu:.1f}"
        total += backends_cpu
    # CPU per execution moves less than wall-clock figures when other work shares the machine.
    per = total * 1000 / max(len(tally.ids), 1)
    print(f"load[{label}]: CPU seconds over the window: {cpu} ({per:.1f} ms CPU per execution created)", flush=True)


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([LEGATO, "server", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def _deploy(url: str) -> None:
    response = httpx.post(f"{url}/api/v1/main/flows", content=FLOW, headers={"Content-Type": "application/x-yaml"},
                          timeout=60)
    assert response.status_code in (200, 201), response.text


def _drain_stderr(process: subprocess.Popen[str]) -> None:
    """Keep reading a child's stderr so that it never blocks on a full pipe."""
    import threading

    assert process.stderr is not None
    threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()  # type: ignore[union-attr]


def backend_pids(url: str) -> list[int]:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]


def run_postgresql(args: argparse.Namespace) -> None:
    with pg_database("legato_bench_load") as url, tempfile.TemporaryDirectory() as data:
        store = open_store(url)
        store.migrate()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
        env.update(LEGATO_DATABASE_URL=url, LEGATO_DATA_DIR=data, LEGATO_LEASE_SECONDS=str(args.lease),
                   LEGATO_PORT="0", PYTHONWARNINGS="ignore")
        front = ["standalone"] if args.standalone else ["webserver"]
        roles = [Role("+".join(front), _spawn(front, env))]
        if not args.standalone:
            roles.append(Role("executor", _spawn(["executor"], env)))
        roles += [Role(f"worker{i + 1}", _spawn(["worker", "--slots", str(args.slots)], env))
                  for i in range(args.workers)]
        try:
            url_api = listening_url(roles[0].process.stderr, roles[0].process)
            for role in roles:
                _drain_stderr(role.process)
            wait_healthy(url_api)
            _deploy(url_api)
            time.sleep(1.0)  # every role registered and listening
            victim = roles[-1] if args.kill_worker and args.workers else None

            held: set[str] = set()

            def kill() -> Iterator[None]:
                if victim is not None:
                    # Stopped first, so that the jobs it holds when killed are the ones read here.
                    victim.process.send_signal(signal.SIGSTOP)
                    held.update(jobs_of(store, victim.process.pid))
                    victim.cpu_end = cpu_seconds(victim.process.pid)
                    victim.process.send_signal(signal.SIGKILL)
                yield

            label = f"postgresql, {'standalone + ' if args.standalone else ''}{args.workers} workers, " \
                    f"{args.clients} clients{', worker killed -9 mid-run' if victim else ''}"
            tally, completed, backends_cpu = _measure(store, url_api, roles, args, kill(), url)
            wait_terminal(store, set(tally.ids), args.lease + 60)
            latencies, redispatched = check(store, tally, held)
            report(label, tally, args.seconds, latencies, completed, roles, backends_cpu)
            if victim is not None:
                print(f"load[postgresql]: worker {victim.process.pid} killed -9 mid-run holding {len(held)} jobs: "
                      f"{redispatched} task runs re-dispatched after its lease ({args.lease:.0f} s); every execution "
                      f"ended SUCCESS, no other task run ran twice", flush=True)
        finally:
            for role in roles:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(role.process.pid, signal.SIGKILL)
                role.process.wait()
            store.close()


def _measure(store: Store, url_api: str, roles: list[Role], args: argparse.Namespace,
             on_half: Iterator[None] | None, pg_url: str | None) -> tuple[Tally, int, float | None]:
    """Drive the load; return the tally, the executions ended within the window and the backends' CPU."""
    backends = {pid: cpu_seconds(pid) for pid in backend_pids(pg_url)} if pg_url else {}
    for role in roles:
        role.cpu_start = cpu_seconds(role.process.pid)
    started = time.time()
    tally = asyncio.run(drive(url_api, args.clients, args.seconds, on_half))
    window_end = started + args.seconds
    for role in roles:
        if role.cpu_end is None:
            role.cpu_end = cpu_seconds(role.process.pid)
    backends_cpu = None
    if pg_url:
        backends_cpu = sum(cpu_seconds(pid) - backends.get(pid, 0.0) for pid in backend_pids(pg_url))
    with store.database.engine.connect() as conn:
        ends = conn.execute(select(executions.c.ended).where(executions.c.ended.is_not(None))).scalars().all()
    completed = sum(1 for e in ends if e.timestamp() <= window_end)
    return tally, completed, backends_cpu


def run_sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
        process = subprocess.Popen([LEGATO, "server", "local", "--data-dir", data, "--port", "0"], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                   start_new_session=True)
        role = Role("server local", process)
        store = None
        try:
            url_api = listening_url(process.stdout, process)
            wait_healthy(url_api)
            _deploy(url_api)
            store = open_store(f"sqlite:///{data}/legato.db")
            tally, completed, _ = _measure(store, url_api, [role], args, None, None)
            wait_terminal(store, set(tally.ids), 60)
            latencies, _ = check(store, tally, None)
            report(f"sqlite, server local, {args.clients} clients", tally, args.seconds, latencies, completed,
                   [role], None)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            if store is not None:
                store.close()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--slots", type=int, default=32, help="slots of each worker process")
    parser.add_argument("--lease", type=float, default=10.0, help="lease_seconds of every process")
    parser.add_argument("--kill-worker", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--standalone", action="store_true", help="`server standalone` instead of webserver + executor")
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv or [])
    if args.backend in ("postgresql", "both"):
        run_postgresql(args)
    if args.backend in ("sqlite", "both"):
        run_sqlite(args)


if __name__ == "__main__":
    main(sys.argv[1:])
