"""Contract: the executor's event loop, process_next_event and the Tx it hands to the handler."""

from __future__ import annotations

import pytest

from legato.engine.events import (
    ChildExecutionEnded,
    ExecutionCreated,
    KillRequested,
    ResumeRequested,
    TimerFired,
)
from legato.model.execution import LogRecord
from legato.model.state import State
from legato.store.database import NestedWriteError
from legato.store.ports import StoredEvent, Tx
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


class EventContract:
    def test_event_backlog_counts_waiting_events_and_dates_the_oldest(self, store: SqlStore) -> None:
        assert store.event_backlog() == (0, None)
        first, second = started(store), started(store)
        store.send_event(first.id, ExecutionCreated())
        store.send_event(second.id, ExecutionCreated())
        count, oldest = store.event_backlog()
        assert count == 2 and oldest is not None and oldest.tzinfo is not None
        drain(store)
        assert store.event_backlog() == (0, None)

    def test_no_event_means_false_and_no_handler_call(self, store: SqlStore) -> None:
        assert store.process_next_event(lambda tx, ev: pytest.fail("handler called")) is False

    def test_handler_sees_the_event_and_its_writes_commit_with_its_deletion(self, store: SqlStore) -> None:
        created = execution()
        store.create_execution(created, ExecutionCreated())
        task = run(created.id, "t")

        def handler(tx: Tx, stored: StoredEvent) -> None:
            assert (stored.execution_id, stored.event) == (created.id, ExecutionCreated())
            assert stored.created.utcoffset() is not None
            assert tx.view().execution == created
            tx.write(created.with_state(State.RUNNING, NOW), [task], {})

        assert store.process_next_event(handler) is True
        assert store.get_execution(created.id).state == State.RUNNING  # type: ignore[union-attr]
        assert store.task_runs(created.id) == [task]
        assert store.process_next_event(handler) is False

    def test_failing_handler_rolls_everything_back_and_the_event_stays(self, store: SqlStore) -> None:
        created = execution()
        store.create_execution(created, ExecutionCreated())

        def failing(tx: Tx, stored: StoredEvent) -> None:
            tx.write(created.with_state(State.RUNNING, NOW), [run(created.id, "t")], {})
            tx.insert_job(created.id, "tr", 1, None)
            tx.insert_timer(created.id, NOW, "retry", "tr", "k")
            tx.insert_event(created.id, KillRequested())
            raise Boom

        with pytest.raises(Boom):
            store.process_next_event(failing)
        assert store.get_execution(created.id) == created
        assert store.task_runs(created.id) == []
        assert store.claim_jobs("w", [None], 10, LEASE, NOW) == []
        assert store.next_timer_at() is None
        assert [e.event for e in drain(store)] == [ExecutionCreated()]

    def test_a_store_write_inside_the_handler_is_refused_not_deadlocked(self, store: SqlStore) -> None:
        ex = started(store)
        store.send_event(ex.id, KillRequested())

        def nested(tx: Tx, stored: StoredEvent) -> None:
            store.send_event(ex.id, KillRequested())

        with pytest.raises(NestedWriteError):
            store.process_next_event(nested)
        assert [e.event for e in drain(store)] == [KillRequested()]

    def test_events_are_consumed_oldest_first(self, store: SqlStore) -> None:
        a, b = execution(), execution()
        store.create_execution(a, ExecutionCreated())
        store.create_execution(b, ExecutionCreated())
        store.send_event(a.id, KillRequested())
        store.send_event(b.id, ResumeRequested())
        assert [(e.execution_id, e.event.kind) for e in drain(store)] == [
            (a.id, "execution_created"), (b.id, "execution_created"),
            (a.id, "kill_requested"), (b.id, "resume_requested"),
        ]

    def test_insert_event_reaches_other_executions(self, store: SqlStore) -> None:
        parent, child = started(store), started(store, parent_id="x")
        ended = ChildExecutionEnded(task_run_id="tr", child_execution_id=child.id, state=State.SUCCESS)
        in_tx(store, child.id, lambda tx: tx.insert_event(parent.id, ended))
        assert [(e.execution_id, e.event) for e in drain(store)] == [(parent.id, ended)]

    def test_tx_create_execution_adds_the_child_with_its_created_event_once(self, store: SqlStore) -> None:
        parent = started(store)
        child = execution(parent_id=parent.id, parent_task_run_id="tr")

        def create(tx: Tx) -> None:
            tx.create_execution(child)
            tx.create_execution(child)

        in_tx(store, parent.id, create)
        assert store.get_execution(child.id) == child
        assert [(e.execution_id, e.event) for e in drain(store)] == [(child.id, ExecutionCreated())]

    def test_tx_reads_flows_and_concurrency_counters(self, store: SqlStore) -> None:
        store.save_flow("ns", "f", "v1", disabled=False, now=NOW)
        me = started(store, namespace="ns", flow_id="f", state=State.RUNNING)
        others = [
            execution("ns", "f", state=s, created=at(i))
            for i, s in enumerate([State.RUNNING, State.PAUSED, State.KILLING, State.CREATED,
                                   State.SUCCESS, State.QUEUED, State.QUEUED])
        ]
        for e in (*others, execution("ns", "g", state=State.RUNNING), execution("xx", "f", state=State.RUNNING)):
            store.create_execution(e, ExecutionCreated())
        drain(store)

        def read(tx: Tx) -> tuple[object, ...]:
            return (
                tx.get_flow("ns", "f").source, tx.get_flow("ns", "f", 2),  # type: ignore[union-attr]
                tx.running_count("ns", "f", exclude=me.id), tx.oldest_queued("ns", "f"),
                tx.oldest_queued("ns", "none"),
            )

        assert in_tx(store, me.id, read) == ("v1", None, 4, others[5].id, None)

    def test_active_children_are_the_non_terminal_ones(self, store: SqlStore) -> None:
        parent = started(store)
        kids = [execution(parent_id=parent.id, state=s, created=at(i))
                for i, s in enumerate([State.RUNNING, State.SUCCESS, State.CREATED, State.KILLED])]
        for kid in kids:
            store.create_execution(kid, ExecutionCreated())
        store.create_execution(execution(parent_id="someone-else"), ExecutionCreated())
        drain(store)
        assert in_tx(store, parent.id, lambda tx: tx.active_children(parent.id)) == [kids[0].id, kids[2].id]

    def test_tx_timers_are_idempotent_on_key_and_deletable_by_task_run(self, store: SqlStore) -> None:
        ex = started(store)

        def schedule(tx: Tx) -> None:
            tx.insert_timer(ex.id, at(10), "retry", "tr1", "timer:retry:tr1:1")
            tx.insert_timer(ex.id, at(99), "retry", "tr1", "timer:retry:tr1:1")
            tx.insert_timer(ex.id, at(20), "pause", "tr2", "timer:pause:tr2:")

        in_tx(store, ex.id, schedule)
        assert store.next_timer_at() == at(10)
        in_tx(store, ex.id, lambda tx: tx.delete_timers("tr1"))
        assert store.next_timer_at() == at(20)
        assert store.fire_due_timers(at(30)) == 1
        assert [e.event for e in drain(store)] == [TimerFired(task_run_id="tr2", timer="pause", key="timer:pause:tr2:")]

    def test_tx_appends_logs(self, store: SqlStore) -> None:
        ex = started(store)
        line = LogRecord(execution_id=ex.id, level="INFO", message="hello", timestamp=NOW)
        in_tx(store, ex.id, lambda tx: tx.append_logs([line]))
        assert store.logs(ex.id) == [line]

    def test_one_execution_is_never_processed_by_two_threads_at_once(self, store: SqlStore) -> None:
        assert_one_processor_per_execution(store, store.process_next_event, executions=4, events_each=15, hold=0.002)
