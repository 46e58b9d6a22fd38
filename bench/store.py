"""Store micro-benchmark: the store time of one in-process task, i.e. one
claim_jobs + finish_job + process_next_event (view reads, execution and task-run writes, insert_job) cycle.

    .venv/bin/python bench/store.py [--cycles N] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Prints one line per backend, e.g. `store[sqlite]: claim+finish+process cycle: 0.42 ms`. PostgreSQL is
measured in a throw-away database when the server answers, and skipped (with the reason) otherwise.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from support import pg_database

from legato.engine.events import ExecutionCreated, TaskResult
from legato.model.execution import Execution, TaskRun
from legato.model.ids import new_id
from legato.model.state import State
from legato.store import SqlStore, open_store
from legato.store.ports import StoredEvent, Tx

LEASE = timedelta(seconds=30)
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _handler(tx: Tx, stored: StoredEvent) -> None:
    """A stand-in for the executor: finish the reported run, start the next one of the sequence."""
    view = tx.view()
    execution = view.execution
    event = stored.event
    if isinstance(event, ExecutionCreated):
        done: list[TaskRun] = []
        index = 0
        execution = execution.with_state(State.RUNNING, NOW)
    else:
        assert isinstance(event, TaskResult)
        run = view.task_run(event.task_run_id)
        done = [run.with_state(event.state, NOW).model_copy(update={"outputs": event.outputs})]
        index = int(run.id.rsplit("-", 1)[1]) + 1
        # what a sequence does: look at its siblings (a loop iteration of ten tasks)
        assert len(view.scope(None, "tasks", run.iteration)) <= 10
    nxt = TaskRun(id=f"{execution.id}-{index}", execution_id=execution.id, task_id=f"t{index % 10}",
                  iteration=index // 10)
    # like the engine, write the execution row only when it changed
    tx.write(execution if execution is not view.execution else None, [*done, nxt], {})
    tx.insert_job(execution.id, nxt.id, 1, None)


def _cycle(store: SqlStore) -> None:
    jobs = store.claim_jobs("bench-worker", [None], 1, LEASE, NOW)
    job = jobs[0]
    store.finish_job(job, TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.SUCCESS,
                                     outputs={"value": 1}))
    assert store.process_next_event(_handler)


def measure(store: SqlStore, cycles: int, executions: int = 4) -> float:
    """Milliseconds per cycle, after a warm-up, with `executions` flows running side by side."""
    store.migrate()
    for _ in range(executions):
        execution = Execution(id=new_id(), namespace="bench", flow_id="seq", flow_revision=1, created=NOW)
        store.create_execution(execution, ExecutionCreated())
        store.process_next_event(_handler)
    for _ in range(50):
        _cycle(store)
    start = time.perf_counter()
    for _ in range(cycles):
        _cycle(store)
    return (time.perf_counter() - start) * 1000 / cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            print(f"store[sqlite]: claim+finish+process cycle: {measure(store, args.cycles):.2f} ms")
        finally:
            store.close()
    try:
        with pg_database(admin_url=args.pg) as url:
            store = open_store(url)
            try:
                ms = measure(store, max(args.cycles // 4, 100))
                print(f"store[postgresql]: claim+finish+process cycle: {ms:.2f} ms")
            finally:
                store.close()
    except psycopg.Error as exc:
        print(f"store[postgresql]: skipped ({str(exc).strip().splitlines()[0]})")


if __name__ == "__main__":
    main()
