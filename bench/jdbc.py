"""JDBC benchmark (issue 16): rows/s of the PostgreSQL CopyOut, CopyIn and Query fetchType STORE tasks
against `psql \\copy` on the same table (goal: each at least 70 % of psql's rate).

The table has ROWS rows of five columns (int, text, numeric, timestamp, bool). psql writes and reads a CSV
file; CopyOut/CopyIn do the same through internal storage; Query STORE writes one JSON row per line (the
`.ion` file Kestra's STORE makes), so it also converts every value, which psql's \\copy does not: it is
also compared with psql writing the same JSON lines (`\\copy (SELECT row_to_json(t) ...)`).

    .venv/bin/python bench/jdbc.py
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import yaml
from support import pg_database

ROWS = int(os.environ.get("LEGATO_BENCH_JDBC_ROWS", "500000"))
ROUNDS = 5



class Bench:
    """Worker contexts over one SQLite store and local storage, built as the worker builds them."""

    def __init__(self, tmp: Path) -> None:
        from legato.storage import LocalStorage
        from legato.store import open_store

        self.store = open_store(f"sqlite:///{tmp}/bench.db")
        self.store.migrate()
        self.storage = LocalStorage(tmp / "storage")
        self.count = 0

    def context(self) -> Any:
        from legato.clock import utcnow
        from legato.engine.events import ExecutionCreated
        from legato.expressions import Masker, Renderer
        from legato.flows import Flows
        from legato.model.execution import Execution, TaskRun
        from legato.model.state import State
        from legato.worker.context import WorkerContext

        # One execution for every run, as the tasks of one flow: CopyIn reads the file CopyOut wrote.
        if self.count == 0:
            self.execution = Execution(id="bench00000000000000001", namespace="bench", flow_id="jdbc", flow_revision=1,
                                       state=State.RUNNING, created=utcnow())
            self.store.create_execution(self.execution, ExecutionCreated())
        self.count += 1
        execution = self.execution
        run = TaskRun(id=f"{execution.id}-t{self.count}", execution_id=execution.id, task_id=f"t{self.count}")
        variables = {"flow": {"id": "jdbc", "namespace": "bench"}, "execution": {"id": execution.id},
                     "task": {"id": run.task_id}, "taskrun": {"id": run.id}, "inputs": {}, "outputs": {}, "vars": {}}
        return WorkerContext(store=self.store, flows=Flows(), renderer=Renderer(), masker=Masker(), variables=variables,
                             execution=execution, task_run=run, attempt=1, flow_namespace="bench", flow_id="jdbc",
                             log_level=None, clock=utcnow, cancelled=asyncio.Event(), storage=self.storage)


def _psql(url: str, command: str) -> float:
    started = time.perf_counter()
    subprocess.run(["psql", url, "-q", "-c", command], check=True, capture_output=True)
    return time.perf_counter() - started


def _task(bench: Bench, source: str) -> tuple[float, dict[str, Any]]:
    from legato.plugins import registry

    data = yaml.safe_load(source)
    task = registry().lookup(data["type"]).model_validate(data)  # type: ignore[union-attr]
    ctx = bench.context()
    started = time.perf_counter()
    outputs = asyncio.run(task.run(ctx))
    elapsed = time.perf_counter() - started
    ctx.flush()
    return elapsed, outputs


def _pairs(task: Callable[[], float], psql: Callable[[], float]) -> tuple[float, float]:
    """Best time of the task and of psql over ROUNDS alternated runs."""
    times = [(task(), psql()) for _ in range(ROUNDS)]
    return min(t for t, _ in times), min(p for _, p in times)


def main() -> None:
    with pg_database("jdbc_bench") as url:
        jdbc = "jdbc:postgresql://" + url.split("@", 1)[1]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE src (id int, name text, amount numeric(10,2), at timestamp, ok bool)")
            conn.execute("INSERT INTO src SELECT g, 'customer ' || g, g * 1.25, timestamp '2024-01-01' + g * interval '1 second', g %% 2 = 0 "
                         "FROM generate_series(1, %s) g", (ROWS,))
            conn.execute("CREATE TABLE dst (LIKE src)")
            conn.execute("VACUUM ANALYZE src")
        with tempfile.TemporaryDirectory() as tmp:
            csv, ion = Path(tmp) / "src.csv", Path(tmp) / "src.json"
            bench = Bench(Path(tmp))
            head = f"id: t\nurl: {jdbc}\nusername: postgres\n"
            outputs: dict[str, Any] = {}

            def task(label: str, body: str, before: str | None = None) -> float:
                if before:
                    _psql(url, before)
                seconds, outputs[label] = _task(bench, head + body)
                return seconds

            def psql(command: str, before: str | None = None) -> float:
                if before:
                    _psql(url, before)
                return _psql(url, command)

            pg = "type: io.kestra.plugin.jdbc.postgresql."
            out_s, psql_out = _pairs(lambda: task("out", pg + "CopyOut\ntable: src\nformat: CSV\n"),
                                     lambda: psql(f"\\copy src TO '{csv}' WITH (FORMAT csv)"))
            assert outputs["out"]["rowCount"] == ROWS
            in_s, psql_in = _pairs(lambda: task("in", pg + f"CopyIn\ntable: dst\nformat: CSV\nfrom: {outputs['out']['uri']}\n", "TRUNCATE dst"),
                                   lambda: psql(f"\\copy dst FROM '{csv}' WITH (FORMAT csv)", "TRUNCATE dst"))
            assert outputs["in"]["rowCount"] == ROWS
            store_s, psql_plain = _pairs(lambda: task("store", pg + "Query\nsql: SELECT * FROM src\nfetchType: STORE\n"),
                                         lambda: psql(f"\\copy src TO '{csv}' WITH (FORMAT csv)"))
            assert outputs["store"]["size"] == ROWS
            store_s2, psql_json = _pairs(lambda: task("store", pg + "Query\nsql: SELECT * FROM src\nfetchType: STORE\n"),
                                         lambda: psql(f"\\copy (SELECT row_to_json(t) FROM src t) TO '{ion}'"))
        print(f"{ROWS} rows, 5 columns; best of {ROUNDS} runs, each task run next to its psql run (a loaded machine skews both)")
        for label, seconds, psql_seconds, versus in (
            ("CopyOut", out_s, psql_out, "psql \\copy TO"), ("CopyIn", in_s, psql_in, "psql \\copy FROM"),
            ("Query STORE", store_s, psql_plain, "psql \\copy TO"),
            ("Query STORE", store_s2, psql_json, "psql \\copy writing the same JSON lines (row_to_json)"),
        ):
            rate, psql_rate = ROWS / seconds, ROWS / psql_seconds
            print(f"  {label:<12} {rate:>10,.0f} rows/s   {100 * rate / psql_rate:4.0f} % of {versus} ({psql_rate:,.0f} rows/s)")


if __name__ == "__main__":
    main()
