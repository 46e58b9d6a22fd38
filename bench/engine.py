"""Orchestration benchmarks on SQLite and PostgreSQL: each workload runs in its own process so that its
peak RSS is its own. Prints one line per figure.

    .venv/bin/python bench/engine.py                      # every workload on both backends
    .venv/bin/python bench/engine.py chain-100 sqlite     # one workload (prints JSON; used by the parent)

PostgreSQL runs use a throw-away database on LEGATO_BENCH_PG (default postgresql://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

WORKLOADS = {
    "chain-100": ("100-task sequential chain of Log tasks", 100),
    "foreach-1000": ("ForEach over 1,000 items, one Return each", 1000),
    "foreach-10000": ("ForEach over 10,000 items, one Return each", 10000),
    "parallel-100": ("Parallel with 100 branches of one Return each", 100),
}


def flow_source(name: str) -> str:
    if name == "chain-100":
        tasks = "\n".join(
            f"  - id: t{i}\n    type: io.kestra.plugin.core.log.Log\n    message: step {i}" for i in range(100)
        )
        return f"id: chain\nnamespace: bench\ntasks:\n{tasks}\n"
    if name.startswith("foreach-"):
        n = int(name.split("-")[1])
        return (
            "id: each\nnamespace: bench\ntasks:\n  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n"
            f"    values: \"{{{{ range(1, {n}) }}}}\"\n    concurrencyLimit: 0\n    tasks:\n"
            "      - id: ret\n        type: io.kestra.plugin.core.debug.Return\n        format: \"{{ taskrun.value }}\"\n"
        )
    branches = "\n".join(
        f"      - id: b{i}\n        type: io.kestra.plugin.core.debug.Return\n        format: b{i}" for i in range(100)
    )
    return f"id: par\nnamespace: bench\ntasks:\n  - id: par\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n{branches}\n"


PG_SERVER = os.environ.get("LEGATO_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


@contextlib.contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh, empty database URL for one run, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    from support import pg_database

    with pg_database(admin_url=f"{PG_SERVER}/postgres") as url:
        yield url


def run_one(name: str, backend: str = "sqlite") -> dict[str, float]:
    """Run one workload in this process; return its figures."""
    from sqlalchemy import event

    from legato.clock import utcnow
    from legato.server import compose
    from legato.server.compose import Runtime
    from legato.services import executions as execution_service
    from legato.services import flows as flow_service
    from legato.services.principal import SYSTEM
    from legato.store import open_store

    with database(backend) as url:
        store = open_store(url)
        store.migrate()
        statements = [0]
        counting = [False]

        def count(*_: object) -> None:
            statements[0] += counting[0]

        event.listen(store.database.engine, "before_cursor_execute", count)
        runtime = Runtime(store, poll_seconds=0.5)
        record = flow_service.deploy(store, flow_source(name), now=utcnow(), flows=runtime.flows, by=SYSTEM)

        async def go() -> tuple[float, float]:
            stopping = asyncio.Event()
            compose.settle_heap()  # as a server process does once it is built (compose.Process.run)
            services = asyncio.create_task(runtime.run(stopping))
            await asyncio.sleep(0.05)
            # timed from a started worker (its spare sandbox for script tasks up, a one-off cost at its start that
            # would otherwise share the two cores with the run)
            assert runtime.worker is not None and await runtime.worker.warmed(), "the worker did not start in a minute"
            cpu = time.process_time()
            counting[0] = True
            started = utcnow()
            execution = await asyncio.to_thread(
                execution_service.create_execution, store, record.namespace, record.id, {}, by=SYSTEM, now=started, flows=runtime.flows
            )
            # timed by the execution's own end date: waiting for it (a poll) takes nothing from the run
            final = await execution_service.wait_for_end(store, execution.id, poll_seconds=0.05)
            cpu = time.process_time() - cpu
            counting[0] = False
            stopping.set()
            await services
            assert final.state == "SUCCESS", f"{name} ended {final.state}: {final.error}"
            assert final.ended is not None
            return (final.ended - started).total_seconds(), cpu

        elapsed, cpu = asyncio.run(go())
        store.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # cpu_seconds: this process's CPU from the execution's creation to its end (every role runs in it); statements:
    # the SQL statements every role sent meanwhile (the wait's own polls included, a few)
    return {"seconds": elapsed, "cpu_seconds": cpu, "peak_rss_mb": rss_mb, "statements": statements[0]}


def idle_server_rss() -> float:
    """RSS of `legato server local` after it has started and settled, in MB."""
    with tempfile.TemporaryDirectory() as tmp:
        legato = Path(sys.executable).with_name("legato")
        proc = subprocess.Popen([str(legato), "server", "local", "--data-dir", tmp, "--port", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            assert proc.stdout is not None
            proc.stdout.readline()  # "Legato running on ..." once it is up
            time.sleep(2.0)
            with open(f"/proc/{proc.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
            raise RuntimeError("no VmRSS")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


REPEATS = {"chain-100": 5, "foreach-1000": 3, "parallel-100": 5, "foreach-10000": 1}


def _measure(name: str, backend: str) -> dict[str, float] | None:
    """Best of a few runs (each in a fresh process): the machine is shared, the best run is the engine's cost."""
    runs = []
    for _ in range(REPEATS[name]):
        out = subprocess.run([sys.executable, __file__, name, backend], capture_output=True, text=True, check=False,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"})
        if out.returncode != 0:
            print(f"engine[{backend}]: {name}: FAILED\n{out.stderr[-2000:]}")
            return None
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    best["median"] = sorted(r["seconds"] for r in runs)[len(runs) // 2]
    return best


def main() -> None:
    for backend in ("sqlite", "postgresql"):
        report(backend)
    print(f"engine[sqlite]: idle RSS of `legato server local`: {idle_server_rss():.0f} MB (target <= 150 MB)")


def report(backend: str) -> None:
    results: dict[str, dict[str, float]] = {}
    for name in WORKLOADS:
        measured = _measure(name, backend)
        if measured is not None:
            results[name] = measured
    if "chain-100" in results:
        r = results["chain-100"]
        print(f"engine[{backend}]: {WORKLOADS['chain-100'][0]}: {r['seconds'] * 1000:.0f} ms total, "
              f"{r['seconds'] * 1000 / 100:.2f} ms per task (median of {REPEATS['chain-100']}: "
              f"{r['median'] * 10:.2f} ms; target <= 2 ms), {r['statements'] / 100:.1f} statements per task")
    for name in ("foreach-1000", "foreach-10000"):
        if name in results:
            r = results[name]
            items = WORKLOADS[name][1]
            print(f"engine[{backend}]: {WORKLOADS[name][0]}: {r['seconds']:.2f} s (median {r['median']:.2f} s), "
                  f"peak RSS {r['peak_rss_mb']:.0f} MB, {r['statements'] / items:.1f} statements per item")
    if "foreach-1000" in results and "foreach-10000" in results:
        ratio = results["foreach-10000"]["seconds"] / results["foreach-1000"]["seconds"]
        print(f"engine[{backend}]: ForEach 10,000 / 1,000 time ratio: {ratio:.1f}x (target <= 12x, linear)")
    if "parallel-100" in results:
        r = results["parallel-100"]
        print(f"engine[{backend}]: {WORKLOADS['parallel-100'][0]}: {r['seconds'] * 1000:.0f} ms total "
              f"(median {r['median'] * 1000:.0f} ms), {r['statements'] / 100:.1f} statements per branch")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(run_one(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "sqlite")))
    else:
        main()
