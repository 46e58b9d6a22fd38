"""Contract: the batched paths of the executor and the worker (process_events, claim_loaded, finish_jobs)
behave like their one-at-a-time counterparts: same order, same fencing, same all-or-nothing commit."""

from __future__ import annotations

import pytest

from legato.engine.events import ExecutionCreated, KillRequested, TaskResult
from legato.model.state import State
from legato.store.ports import Job, StoredEvent, Tx
from legato.store.sql import SqlStore

from .helpers import (
    LEASE,
    NOW,
    Boom,
    assert_one_processor_per_execution,
    at,
    drain,
    execution,
    in_tx,
    run,
    started,
)


def _result(job: Job) -> TaskResult:
    return TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=State.SUCCESS, outputs={"ok": job.id})


class BatchContract:
    def test_process_events_applies_every_queued_event_of_the_locked_executions_in_order(self, store: SqlStore) -> None:
        a, b = execution(), execution()
        store.create_execution(a, ExecutionCreated())
        store.create_execution(b, ExecutionCreated())
        store.send_event(a.id, KillRequested())
        seen: list[tuple[str, str, State]] = []

        def handler(tx: Tx, stored: StoredEvent) -> None:
            # Each event sees what the earlier events of its execution wrote in this very transaction.
            seen.append((stored.execution_id, stored.event.kind, tx.view().execution.state))
            tx.write(tx.view().execution.with_state(State.RUNNING, NOW), [], {})

        assert store.process_events(handler, 8) == 3
        assert seen == [(a.id, "execution_created", State.CREATED), (b.id, "execution_created", State.CREATED),
                        (a.id, "kill_requested", State.RUNNING)]
        assert store.process_events(handler, 8) == 0
        assert store.get_execution(a.id).state == State.RUNNING  # type: ignore[union-attr]

    def test_process_events_takes_at_most_limit_executions(self, store: SqlStore) -> None:
        ids = [started(store).id for _ in range(3)]
        for ex_id in ids:
            store.send_event(ex_id, KillRequested())
        first: list[str] = []
        assert store.process_events(lambda tx, ev: first.append(ev.execution_id), 2) == 2
        assert first == ids[:2]
        assert [e.execution_id for e in drain(store)] == ids[2:]

    def test_held_back_writes_are_read_back_and_committed(self, store: SqlStore) -> None:
        ex = started(store)
        one, two = run(ex.id, "one"), run(ex.id, "two")
        store.send_event(ex.id, KillRequested())
        store.send_event(ex.id, KillRequested())
        reads: list[list[str]] = []

        def handler(tx: Tx, stored: StoredEvent) -> None:
            view = tx.view()
            reads.append([r.task_id for r in view.runs_in_states([State.CREATED, State.SUCCESS])])
            if not reads[:-1]:
                tx.write(view.execution.with_state(State.RUNNING, NOW), [one, two], {})
                tx.insert_job(ex.id, one.id, 1, None)
            else:
                tx.write(None, [one.with_state(State.SUCCESS, NOW)], {})

        assert store.process_events(handler, 4) == 2
        assert reads == [[], ["one", "two"]]
        assert [(r.task_id, r.state) for r in store.task_runs(ex.id)] == [("one", State.SUCCESS), ("two", State.CREATED)]
        assert store.get_execution(ex.id).state == State.RUNNING  # type: ignore[union-attr]
        assert [j.task_run_id for j in store.claim_jobs("w", [None], 10, LEASE, NOW)] == [one.id]

    def test_a_failing_handler_rolls_the_whole_batch_back(self, store: SqlStore) -> None:
        a, b = started(store), started(store)
        store.send_event(a.id, KillRequested())
        store.send_event(b.id, KillRequested())

        def handler(tx: Tx, stored: StoredEvent) -> None:
            tx.write(tx.view().execution.with_state(State.KILLING, NOW), [run(stored.execution_id, "t")], {})
            tx.insert_job(stored.execution_id, "tr", 1, None)
            if stored.execution_id == b.id:
                raise Boom

        with pytest.raises(Boom):
            store.process_events(handler, 8)
        assert [store.get_execution(x.id).state for x in (a, b)] == [State.CREATED, State.CREATED]  # type: ignore[union-attr]
        assert store.task_runs(a.id) == [] and store.claim_jobs("w", [None], 10, LEASE, NOW) == []
        assert [e.execution_id for e in drain(store)] == [a.id, b.id]

    def test_concurrent_batches_never_share_an_execution_and_keep_its_order(self, store: SqlStore) -> None:
        assert_one_processor_per_execution(store, lambda handler: store.process_events(handler, 2), executions=6,
                                           events_each=10, hold=0.001)

    def test_claim_loaded_brings_each_job_with_its_execution_and_task_run(self, store: SqlStore) -> None:
        ex = started(store)
        one = run(ex.id, "one")

        def queue(tx: Tx) -> None:
            tx.write(None, [one], {})
            tx.insert_job(ex.id, one.id, 1, None)
            tx.insert_job(ex.id, "gone", 1, None)  # a job whose task run does not exist

        in_tx(store, ex.id, queue)
        loaded = store.claim_loaded("w", [None], 10, LEASE, NOW)
        assert [(j.task_run_id, j.worker_id) for j, _ in loaded] == [(one.id, "w"), ("gone", "w")]
        first = loaded[0][1]
        assert first is not None and first.job == loaded[0][0]
        assert (first.execution, first.task_run) == (store.get_execution(ex.id), one)
        assert loaded[1][1] is None
        assert store.claim_loaded("w2", [None], 10, LEASE, NOW) == []

    def test_finish_jobs_fences_each_job_alone_and_queues_the_accepted_results(self, store: SqlStore) -> None:
        ex = started(store)
        in_tx(store, ex.id, lambda tx: [tx.insert_job(ex.id, t, 1, None) for t in ("a", "b", "c")])
        a, b, c = store.claim_jobs("w", [None], 10, LEASE, NOW)
        assert store.expire_leases(at(0)) == 0
        store.release_jobs("w", [c.id])  # handed back: no longer ours
        stale = Job(**{**b.__dict__, "attempt": 2})
        results = [(a, _result(a), ()), (stale, _result(stale), ()), (c, _result(c), ())]
        assert store.finish_jobs("w", results) == [True, False, False]
        assert store.finish_jobs("w", [(a, _result(a), ())]) == [False]
        assert store.finish_jobs("w", []) == []
        assert [(e.execution_id, e.event) for e in drain(store)] == [(ex.id, _result(a))]
