"""Sustained throughput on PostgreSQL with separate processes: one `legato server executor` and 1, 2 and 4
`legato server worker` processes; executions/s (and tasks/s) of a 3-task in-process flow, measured over
a backlog of executions from the first start to the last end (database on this machine, included)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from support import pg_database, queue_backlog, three_tasks

from legato.model import state as st
from legato.store import open_store
from legato.store.schema import executions

LEGATO = str(Path(sys.executable).with_name("legato"))
EXECUTIONS = int(os.environ.get("BENCH_THROUGHPUT_EXECUTIONS", "1000"))
FLOW = three_tasks("bench.throughput")


def _run(workers: int) -> tuple[float, float]:
    processes: list[subprocess.Popen[bytes]] = []
    with pg_database() as url, tempfile.TemporaryDirectory() as data:
        store = open_store(url)
        store.migrate()
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
            env.update(LEGATO_DATABASE_URL=url, LEGATO_DATA_DIR=data, LEGATO_POLL_SECONDS="0.2")
            queue_backlog(store, FLOW, EXECUTIONS)
            roles = [["executor"]] + [["worker", "--slots", "32"]] * workers
            processes = [subprocess.Popen([LEGATO, "server", *r], env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, start_new_session=True) for r in roles]
            first, last = _window(store)
        finally:
            for p in processes:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            store.close()
    seconds = (last - first).total_seconds()
    return EXECUTIONS / seconds, 3 * EXECUTIONS / seconds


def _window(store) -> tuple[datetime, datetime]:  # type: ignore[no-untyped-def]
    """(first execution start, last execution end) once every execution ended."""
    terminal = [s.value for s in st.TERMINAL]
    with store.database.engine.connect() as conn:
        while conn.execute(select(func.count()).where(executions.c.state.not_in(terminal))).scalar():
            conn.rollback()
            time.sleep(0.2)
        # Timed from the first state change after creation (the executor picking it up) to the last end.
        rows = [store.get_execution(i) for i in conn.execute(select(executions.c.id)).scalars()]
    starts = [e.histories[1].date if len(e.histories) > 1 else e.created for e in rows]
    return min(starts), max(e.ended for e in rows)


def main() -> None:
    print(f"   3-task in-process flow, {EXECUTIONS} executions, executor + N worker processes on PostgreSQL")
    for workers in (1, 2, 4):
        per_execution, per_task = _run(workers)
        print(f"   {workers} worker process(es): {per_execution:7.1f} executions/s  {per_task:7.1f} tasks/s", flush=True)


if __name__ == "__main__":
    main()
