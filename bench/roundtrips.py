"""SQL round trips on PostgreSQL, counted with SQLAlchemy event hooks on each role's own engine:

- per `POST /api/v1/main/executions/{ns}/{id}` (the API's store);
- per task of a 2-task flow, by role, with the executor and the worker in separate stores (as separate processes
  run them) and with both in one process (the local lane of `server standalone`).

A round trip is a statement, or a BEGIN, COMMIT or ROLLBACK psycopg sends (none on an autocommit connection,
nor a ROLLBACK outside a transaction). Prints the totals and, with `-v`, the statements.

    .venv/bin/python bench/roundtrips.py [-v] [--executions 50]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import tempfile
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient
from psycopg import pq
from sqlalchemy import event

from legato.api import create_app
from legato.clock import utcnow
from legato.server.compose import Runtime
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.ports import Store

LOAD = Path(__file__).with_name("load.py")


class Trips:
    """Statements, commits and rollbacks sent by one engine, by statement text."""

    def __init__(self, store: Store):
        self.sent: Counter[str] = Counter()
        engine = store.database.engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", lambda conn: self._sent_by_driver(conn, "BEGIN", in_transaction=False))
        event.listen(engine, "commit", lambda conn: self._sent_by_driver(conn, "COMMIT", in_transaction=True))
        event.listen(engine, "rollback", lambda conn: self._sent_by_driver(conn, "ROLLBACK", in_transaction=True))

    def _sent_by_driver(self, conn, what: str, in_transaction: bool) -> None:  # type: ignore[no-untyped-def]
        driver = conn.connection.dbapi_connection
        if driver.autocommit:
            return
        # psycopg sends BEGIN with a transaction's first statement, and COMMIT/ROLLBACK only inside one.
        if in_transaction and driver.info.transaction_status == pq.TransactionStatus.IDLE:
            return
        self._count(what)

    def _statement(self, conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        self._count(" ".join(statement.split())[:110])

    def _count(self, what: str) -> None:
        self.sent[what] += 1

    def take(self) -> Counter[str]:
        taken, self.sent = self.sent, Counter()
        return taken


def _load_bench():  # type: ignore[no-untyped-def]
    """bench/load.py: its flow and its throw-away database."""
    spec = importlib.util.spec_from_file_location("bench_load", LOAD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _show(label: str, counts: Counter[str], per: int, verbose: bool) -> None:
    total = sum(counts.values())
    commits = counts["COMMIT"]
    print(f"roundtrips: {label}: {total / per:.1f} round trips ({commits / per:.1f} transactions)", flush=True)
    if verbose:
        for text, n in counts.most_common():
            print(f"      {n / per:6.2f}  {text}")


async def _run_until_done(runtimes: list[Runtime], store: Store, ids: list[str]) -> None:
    stopping = asyncio.Event()
    loops = [asyncio.create_task(r.run(stopping)) for r in runtimes]
    for execution_id in ids:
        final = await execution_service.wait_for_end(store, execution_id, poll_seconds=0.05)
        assert final.state == "SUCCESS", final.state
    stopping.set()
    await asyncio.gather(*loops)


def measure(url: str, source: str, executions: int, verbose: bool) -> None:
    api_store, observer = open_store(url), open_store(url)
    api_store.migrate()
    record = flow_service.deploy(api_store, source, now=utcnow(), by=SYSTEM)
    trips = Trips(api_store)
    with tempfile.TemporaryDirectory() as tmp, TestClient(create_app(api_store, data_dir=Path(tmp))) as http:
        path = f"/api/v1/main/executions/{record.namespace}/{record.id}"
        for _ in range(5):  # warm: flow cache, prepared statements, pool
            http.post(path)
        trips.take()
        ids = [http.post(path).json()["id"] for _ in range(executions)]
    _show("POST /executions", trips.take(), executions, verbose)

    # Separate processes: the executor and the worker each on their own engine.
    executor_store, worker_store = open_store(url), open_store(url)
    by_executor, by_worker = Trips(executor_store), Trips(worker_store)
    executor = Runtime(executor_store, run_worker=False, poll_seconds=0.2, executor_threads=4)
    worker = Runtime(worker_store, run_executor=False, poll_seconds=0.2)
    asyncio.run(_run_until_done([executor, worker], observer, ids))
    tasks = 2 * executions
    _show("executor (separate worker), per task", by_executor.take(), tasks, verbose)
    _show("worker (separate process), per task", by_worker.take(), tasks, verbose)

    with TestClient(create_app(api_store, data_dir=Path(tmp))) as http:
        ids = [http.post(path).json()["id"] for _ in range(executions)]
    local_store = open_store(url)
    local = Trips(local_store)
    asyncio.run(_run_until_done([Runtime(local_store, poll_seconds=0.2, executor_threads=4)], observer, ids))
    _show("executor + worker in one process (local lane), per task", local.take(), tasks, verbose)
    for s in (api_store, observer, executor_store, worker_store, local_store):
        s.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--executions", type=int, default=50)
    args = parser.parse_args(argv or [])
    bench = _load_bench()
    with bench.pg_database() as url:
        measure(url, bench.FLOW, args.executions, args.verbose)


if __name__ == "__main__":
    main(sys.argv[1:])
