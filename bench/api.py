"""REST API benchmark, against a server in its own process:

- latency (p50/p99) of `POST /api/v1/main/executions/{ns}/{id}?wait=true` for a 3-task flow of trivial tasks;
- requests/s of `GET /api/v1/main/executions/{id}` under 20 concurrent connections from another process;
- the time from starting `legato server local` to a healthy `/health`.

    .venv/bin/python bench/api.py [--runs N] [--seconds S] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

SQLite is measured through `legato server local`; PostgreSQL (when it answers) through the same API and
runtime served by this script in a child process on a throw-away database. Prints lines like
`api[sqlite]: POST /executions?wait=true 3-task flow: p50 12.3 ms, p99 30.1 ms`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
from support import listening_url, pg_database, wait_healthy

LEGATO = str(Path(sys.executable).parent / "legato")
FLOW = """id: three
namespace: bench.api
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: one
  - id: b
    type: io.kestra.plugin.core.debug.Return
    format: two
  - id: c
    type: io.kestra.plugin.core.debug.Return
    format: three
"""
PATH = "/api/v1/main/executions/bench.api/three"


@contextlib.contextmanager
def local_server(data_dir: Path) -> Iterator[tuple[str, float]]:
    """`legato server local` on a free port; yields its URL and the seconds from spawn to healthy."""
    started = time.perf_counter()
    process = subprocess.Popen([LEGATO, "server", "local", "--data-dir", str(data_dir), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = listening_url(process.stdout, process)  # type: ignore[arg-type]
        wait_healthy(url, process)
        yield url, time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@contextlib.contextmanager
def pg_server(admin_url: str) -> Iterator[str]:
    """The API + runtime on a throw-away PostgreSQL database, in a child process."""
    with pg_database("legato_bench_api", admin_url) as url:
        process = subprocess.Popen([sys.executable, __file__, "--serve", url], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
        try:
            base = listening_url(process.stdout, process)  # type: ignore[arg-type]
            wait_healthy(base, process)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def serve(store_url: str) -> None:
    """Child process: serve the API and run the runtime on `store_url` until SIGTERM."""
    from legato.api import create_app
    from legato.api import server as http
    from legato.server.compose import Process, Runtime
    from legato.store import open_store

    store = open_store(store_url)
    store.migrate()
    sock = http.bind("127.0.0.1", 0)
    print(f"LISTENING http://127.0.0.1:{sock.getsockname()[1]}", flush=True)

    async def main() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        with tempfile.TemporaryDirectory() as tmp:
            await Process(store, Runtime(store), app=create_app(store, data_dir=Path(tmp)), sock=sock).run(stopping)

    asyncio.run(main())
    store.close()


def wait_latency(url: str, runs: int) -> tuple[float, float, str]:
    """p50 and p99 (ms) of POST ...?wait=true, after a warm-up; and the id of one execution."""
    with httpx.Client(base_url=url, timeout=60) as client:
        response = client.post("/api/v1/main/flows", content=FLOW, headers={"Content-Type": "application/x-yaml"})
        assert response.status_code in (200, 409), response.text
        for _ in range(10):
            last = client.post(PATH, params={"wait": True}).json()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            last = client.post(PATH, params={"wait": True}).json()
            times.append((time.perf_counter() - started) * 1000)
            assert last["state"]["current"] == "SUCCESS", last["state"]
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))], last["id"]


def load(url: str, execution_id: str, seconds: float, connections: int) -> None:
    """Child process: GET the execution from `connections` concurrent connections; prints 'count seconds errors'."""

    async def worker(client: httpx.AsyncClient, until: float, tally: list[int]) -> None:
        while time.perf_counter() < until:
            response = await client.get(f"/api/v1/main/executions/{execution_id}")
            tally[0 if response.status_code == 200 else 1] += 1

    async def main() -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
            tally = [0, 0]
            await asyncio.gather(*(worker(client, time.perf_counter() + 0.5, [0, 0]) for _ in range(connections)))
            started = time.perf_counter()
            await asyncio.gather(*(worker(client, started + seconds, tally) for _ in range(connections)))
            print(tally[0], time.perf_counter() - started, tally[1])

    asyncio.run(main())


def throughput(url: str, execution_id: str, seconds: float, connections: int = 20) -> tuple[float, int]:
    out = subprocess.run([sys.executable, __file__, "--load", url, execution_id, str(seconds), str(connections)],
                         capture_output=True, text=True, check=True)
    count, elapsed, errors = out.stdout.split()
    return int(count) / float(elapsed), int(errors)


def report(backend: str, url: str, args: argparse.Namespace) -> None:
    p50, p99, execution_id = wait_latency(url, args.runs)
    print(f"api[{backend}]: POST /executions?wait=true 3-task flow: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
          f"({args.runs} runs; target p50 <= 30 ms)")
    rps, errors = throughput(url, execution_id, args.seconds)
    print(f"api[{backend}]: GET /executions/{{id}} with 20 connections from another process: {rps:.0f} requests/s"
          + (f" ({errors} errors)" if errors else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pg", default=os.environ.get("LEGATO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    startups = []
    for attempt in range(3):
        with tempfile.TemporaryDirectory() as tmp, local_server(Path(tmp)) as (url, startup):
            startups.append(startup)
            if attempt == 0:
                report("sqlite", url, args)
    print(f"api[sqlite]: `legato server local` start to healthy /health: {statistics.median(startups):.2f} s "
          f"(median of 3; target <= 2 s)")
    try:
        with pg_server(args.pg) as url:
            report("postgresql", url, args)
    except psycopg.OperationalError as exc:
        print(f"api[postgresql]: skipped, PostgreSQL not reachable ({str(exc).strip().splitlines()[0]})")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        serve(sys.argv[2])
    elif len(sys.argv) > 5 and sys.argv[1] == "--load":
        load(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
