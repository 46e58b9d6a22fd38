"""BatchFinisher over a real (SQLite) store: results that end while a transaction is in flight go together
in the next one, each caller gets its own fenced answer, and a failed transaction fails only its results."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato.engine.events import ExecutionCreated, KillRequested, TaskResult
from legato.model.execution import Execution
from legato.model.state import State
from legato.store import SqlStore, open_store
from legato.store.ports import Job
from legato.worker.finisher import BatchFinisher, Result

NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    yield store
    store.close()


def _claimed(store: SqlStore, count: int) -> list[Job]:
    ex = Execution(id="x1", namespace="ns", flow_id="f", flow_revision=1, state=State.RUNNING, created=NOW)
    store.create_execution(ex, ExecutionCreated())
    store.send_event(ex.id, KillRequested())
    assert store.process_next_event(lambda tx, ev: None)

    def queue(tx, ev):  # type: ignore[no-untyped-def]
        for n in range(count):
            tx.insert_job(ex.id, f"t{n}", 1, None)

    assert store.process_next_event(queue)
    return store.claim_jobs("w", [None], count, timedelta(seconds=30), NOW)


def _result(job: Job) -> TaskResult:
    return TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.SUCCESS)


class _Recorder:
    """Around the real store.finish_jobs: records each batch; the first waits for `gate`; can fail once."""

    def __init__(self, store: SqlStore):
        self.store = store
        self.batches: list[list[int]] = []
        self.gate = threading.Event()
        self.fail_next = False

    def __call__(self, results: Sequence[Result]) -> list[bool]:
        if not self.batches:
            self.gate.wait(5)
        self.batches.append([job.id for job, _, _ in results])
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database went away")
        return self.store.finish_jobs("w", results)


def test_results_ending_during_a_transaction_share_the_next_one(store: SqlStore) -> None:
    jobs = _claimed(store, 4)
    stale = Job(**{**jobs[2].__dict__, "attempt": 2})  # fenced off alone
    recorder = _Recorder(store)

    async def main() -> list[bool]:
        finisher = BatchFinisher(recorder)
        first = asyncio.create_task(finisher.finish(jobs[0], _result(jobs[0]), []))
        await asyncio.sleep(0.05)  # the first transaction is in flight, held by the gate
        rest = [asyncio.create_task(finisher.finish(j, _result(j), [])) for j in (jobs[1], stale, jobs[3])]
        await asyncio.sleep(0.05)
        recorder.gate.set()
        return await asyncio.gather(first, *rest)

    assert asyncio.run(main()) == [True, True, False, True]
    assert recorder.batches == [[jobs[0].id], [jobs[1].id, stale.id, jobs[3].id]]
    assert store.claim_jobs("w2", [None], 10, timedelta(seconds=30), NOW) == []  # three finished, one still held


def test_a_failed_transaction_fails_its_own_results_only(store: SqlStore) -> None:
    jobs = _claimed(store, 2)
    recorder = _Recorder(store)
    recorder.gate.set()

    async def main() -> bool:
        finisher = BatchFinisher(recorder)
        recorder.fail_next = True
        with pytest.raises(RuntimeError, match="went away"):
            await finisher.finish(jobs[0], _result(jobs[0]), [])
        return await finisher.finish(jobs[1], _result(jobs[1]), [])

    assert asyncio.run(main()) is True
    assert recorder.batches == [[jobs[0].id], [jobs[1].id]]
