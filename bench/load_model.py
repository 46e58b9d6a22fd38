"""Load model: predicts executions/s on PostgreSQL from database round trips per execution, and compares with
the throughput measured under the same conditions (docs/scaling.md explains the model and its use).

1. Measures this database's latency: a round trip (`SELECT 1`) and a commit of a one-row insert (WAL flush).
2. Runs an executor and a worker in this process (one `server standalone` without the API) over a queued
   backlog of a 3-task flow, counting every statement and every transaction boundary the store sends (SQLAlchemy
   events: statements, plus BEGIN and COMMIT/ROLLBACK of non-autocommit transactions), and the CPU time spent.
3. Model: one execution costs `cpu` seconds of this process's CPU (one interpreter: a serial resource), `pg`
   seconds of PostgreSQL backend CPU (read from /proc for its backends), and `db = statements x rtt +
   transactions x (rtt + commit)` seconds of waiting, which up to `p` executions in flight (executor threads +
   worker slots) overlap. The bound is the tightest of: 1 / cpu (the interpreter), usable cores / (cpu + pg)
   (the machine: its cores less what other programs used during the run, measured from /proc/stat), p / db (the
   waits). With no overlap of CPU and waits the figure drops to 1 / (cpu + db / p) at worst. Prints the
   prediction, the measured figure, and the prediction for a database 0.5 ms and 1 ms away.

BENCH_MODEL_EXECUTIONS (default 600) sets the backlog."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event, func, select
from support import ADMIN_URL, pg_database, queue_backlog, three_tasks

from legato.config import Settings
from legato.model import state as st
from legato.server import compose
from legato.store import open_store
from legato.store.schema import executions

EXECUTIONS = int(os.environ.get("BENCH_MODEL_EXECUTIONS", "600"))
WORKER_SLOTS = 16
EXECUTOR_THREADS = 4
FLOW = three_tasks("bench.model")


def _median_seconds(action: Callable[[], Any], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def latency(url: str) -> tuple[float, float]:
    """(round trip, commit) in seconds, medians."""
    with psycopg.connect(url, autocommit=True) as conn:
        rtt = _median_seconds(lambda: conn.execute("SELECT 1").fetchone(), 2000)
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit (id serial PRIMARY KEY, v int)")
    with psycopg.connect(url) as conn:
        def insert_commit() -> None:
            conn.execute("INSERT INTO bench_commit (v) VALUES (1)")
            conn.commit()
        commit = _median_seconds(insert_commit, 500) - 2 * rtt  # less the BEGIN and INSERT round trips
    return rtt, max(commit, rtt)


def _busy_jiffies() -> int:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    return sum(values) - values[3] - values[4]  # all but idle and iowait


def _backend_jiffies(url: str, name: str) -> dict[int, int]:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))]
    ticks = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended, or another host's PostgreSQL
        ticks[pid] = int(stat[11]) + int(stat[12])  # utime + stime
    return ticks


class Counter:
    """Statements and non-autocommit transactions sent through one engine."""

    def __init__(self, engine: Any):
        self.statements = 0
        self.transactions = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _statement(self, *_args: Any) -> None:
        self.statements += 1

    def _end(self, conn: Any) -> None:
        if not conn.connection.dbapi_connection.autocommit:
            self.transactions += 1


async def _run_until_done(process: compose.Process, store: Any) -> None:
    stopping = asyncio.Event()
    task = asyncio.create_task(process.run(stopping), name="roles")
    terminal = [s.value for s in st.TERMINAL]
    query = select(func.count()).where(executions.c.state.not_in(terminal))
    while True:
        with store.database.engine.connect() as conn:
            left = conn.execute(query).scalar()
        if not left:
            break
        await asyncio.sleep(0.05)
    stopping.set()
    await task


def measure(url: str, name: str) -> dict[str, float]:
    store = open_store(url)
    store.migrate()
    queue_backlog(store, FLOW, EXECUTIONS)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(database_url=url, data_dir=Path(data), worker_slots=WORKER_SLOTS, poll_seconds=0.2,
                            executor_threads=EXECUTOR_THREADS)
        process = compose.build(settings, [compose.EXECUTOR, compose.WORKER], store)
        counter = Counter(store.database.engine)
        hz = os.sysconf("SC_CLK_TCK")
        backends, busy_before = _backend_jiffies(url, name), _busy_jiffies()
        cpu, wall = time.process_time(), time.perf_counter()
        asyncio.run(_run_until_done(process, store))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        busy = (_busy_jiffies() - busy_before) / hz
        pg = sum(t - backends.get(pid, 0) for pid, t in _backend_jiffies(url, name).items()) / hz
    store.close()
    cores = os.cpu_count() or 1
    others = max(busy - cpu - pg, 0.0)
    return {"statements": counter.statements / EXECUTIONS, "transactions": counter.transactions / EXECUTIONS,
            "cpu": cpu / EXECUTIONS, "pg": pg / EXECUTIONS, "usable": max(cores - others / wall, 0.1),
            "cores": cores, "measured": EXECUTIONS / wall}


def predict(per: dict[str, float], rtt: float, commit: float, in_flight: int, usable: float) -> tuple[float, float]:
    """(no overlap, bound) executions/s."""
    db = per["statements"] * rtt + per["transactions"] * (rtt + commit)
    bound = min(1 / per["cpu"], usable / (per["cpu"] + per["pg"]), in_flight / db)
    return min(1 / (per["cpu"] + per["pg"] / usable + db / in_flight), bound), bound


def main() -> None:
    with pg_database("legato_bench_model") as url:
        rtt, commit = latency(url)
        per = measure(url, url.rsplit("/", 1)[1])
    in_flight = EXECUTOR_THREADS + WORKER_SLOTS
    print(f"   database: round trip {rtt * 1e6:.0f} us, commit {commit * 1e6:.0f} us (medians)")
    print(f"   per execution of a 3-task flow: {per['statements']:.1f} statements, {per['transactions']:.1f} "
          f"transactions, {per['cpu'] * 1e3:.2f} ms CPU in the roles' process, {per['pg'] * 1e3:.2f} ms in "
          "PostgreSQL")
    print(f"   machine: {per['cores']:.0f} cores, {per['usable']:.2f} of them left by other programs during the run")
    low, high = predict(per, rtt, commit, in_flight, per["usable"])
    print(f"   predicted: {low:.0f}-{high:.0f} executions/s   measured: {per['measured']:.0f} executions/s "
          f"({EXECUTIONS} executions, executor + worker in one process, {in_flight} in flight)")
    for away in (0.0005, 0.001):
        low, high = predict(per, away, commit + away, in_flight, per["cores"])
        print(f"   database {away * 1e3:.1f} ms away, {per['cores']:.0f} free cores: {low:.0f}-{high:.0f} "
              f"executions/s per roles process ({in_flight} in flight; its interpreter alone allows "
              f"{1 / per['cpu']:.0f}/s)")


if __name__ == "__main__":
    main()
