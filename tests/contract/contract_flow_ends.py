"""Contract: the Flow trigger's outbox — an execution's end is queued with it, consumed once, fires once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from legato.engine.events import ExecutionCreated
from legato.model.state import State
from legato.store.ports import EndTx, ExecutionEnd, PreconditionState, TriggerFire
from legato.store.sql import SqlStore

from .helpers import NOW, at, execution, in_tx, started


def _end(store: SqlStore, state: State = State.SUCCESS, **fields: object) -> str:
    """Start an execution and end it in an executor transaction; its id."""
    running = started(store, namespace="up", flow_id="a", **fields)
    ended = running.with_state(state, at(5)).model_copy(update={"ended": at(5), "outputs": {"n": 1}})
    in_tx(store, running.id, lambda tx: tx.write(ended, [], {}))
    return running.id


def _consume(store: SqlStore, body: object = None) -> list[ExecutionEnd]:
    seen: list[ExecutionEnd] = []

    def handler(tx: EndTx, end: ExecutionEnd) -> None:
        seen.append(end)
        if callable(body):
            body(tx, end)

    while store.process_next_end(handler, NOW):
        pass
    return seen


def _downstream_fire(end: ExecutionEnd) -> TriggerFire:
    return TriggerFire(namespace="down", flow_id="b", trigger_id="on_a", key=end.key, date=NOW)


class FlowEndContract:
    def test_an_execution_ending_queues_its_end_once(self, store: SqlStore) -> None:
        assert store.pending_ends() == 0
        execution_id = _end(store)
        assert store.pending_ends() == 1
        ended = store.get_execution(execution_id)
        assert ended is not None
        # the executor writing the ended execution again (a late event) queues nothing more
        in_tx(store, execution_id, lambda tx: tx.write(ended, [], {}))
        [end] = _consume(store)
        assert (end.execution_id, end.key, end.namespace, end.flow_id, end.state, end.ended) == (
            execution_id, execution_id, "up", "a", State.SUCCESS, at(5))
        assert store.pending_ends() == 0
        assert _consume(store) == []

    def test_each_start_is_queued_with_its_own_key_and_dropped_in_bulk_while_none_listens(self, store: SqlStore) -> None:
        running = started(store, namespace="up", flow_id="a")
        in_tx(store, running.id, lambda tx: tx.write(running.with_state(State.RUNNING, NOW), [], {}))
        other = started(store, namespace="up", flow_id="a")
        in_tx(store, other.id, lambda tx: tx.write(other.with_state(State.RUNNING, NOW), [], {}))
        ended = _end(store)
        assert store.pending_ends() == 3
        assert store.discard_ends(State.RUNNING) == 2
        assert [(e.execution_id, e.state) for e in _consume(store)] == [(ended, State.SUCCESS)]

    def test_a_resume_is_a_new_start(self, store: SqlStore) -> None:
        running = started(store, namespace="up", flow_id="a")
        first = running.with_state(State.RUNNING, NOW)
        in_tx(store, running.id, lambda tx: tx.write(first, [], {}))
        paused = first.with_state(State.PAUSED, at(1))
        in_tx(store, running.id, lambda tx: tx.write(paused, [], {}))
        in_tx(store, running.id, lambda tx: tx.write(paused.with_state(State.RUNNING, at(2)), [], {}))
        assert [(e.key, e.state) for e in _consume(store)] == [
            (f"{running.id}:running:1", State.RUNNING), (f"{running.id}:paused:2", State.PAUSED),
            (f"{running.id}:running:3", State.RUNNING)]

    def test_a_pause_is_queued_with_its_own_key(self, store: SqlStore) -> None:
        running = started(store, namespace="up", flow_id="a")
        paused = running.with_state(State.RUNNING, NOW).with_state(State.PAUSED, at(1))
        in_tx(store, running.id, lambda tx: tx.write(paused, [], {}))
        [end] = _consume(store)
        assert (end.key, end.state) == (f"{running.id}:paused:2", State.PAUSED)

    def test_a_restarted_execution_ending_again_is_a_new_end(self, store: SqlStore) -> None:
        execution_id = _end(store)
        first = store.get_execution(execution_id)
        assert first is not None
        restarted = first.with_state(State.RESTARTED, at(6)).model_copy(update={"restarts": 1, "ended": None})
        in_tx(store, execution_id, lambda tx: tx.write(restarted, [], {}))
        again = restarted.with_state(State.FAILED, at(7)).model_copy(update={"ended": at(7)})
        in_tx(store, execution_id, lambda tx: tx.write(again, [], {}))
        assert [(e.key, e.state) for e in _consume(store)] == [
            (execution_id, State.SUCCESS), (f"{execution_id}:1", State.FAILED)]

    def test_deleting_or_purging_an_execution_drops_its_queued_end(self, store: SqlStore) -> None:
        deleted, purged = _end(store), _end(store)
        assert store.pending_ends() == 2
        assert store.delete_execution(deleted)
        assert store.pending_ends() == 1
        assert store.purge_executions(at(3600)).executions == 1
        assert store.get_execution(purged) is None and store.pending_ends() == 0

    def test_the_handler_reads_the_execution_and_fires_in_the_same_transaction(self, store: SqlStore) -> None:
        execution_id = _end(store)
        created = execution("down", "b")
        outcomes: list[str] = []

        def fire(tx: EndTx, end: ExecutionEnd) -> None:
            upstream = tx.execution()
            assert upstream is not None and upstream.outputs == {"n": 1}
            assert tx.task_runs() == []
            outcomes.append(tx.fire(_downstream_fire(end), created, ExecutionCreated()))

        _consume(store, fire)
        assert outcomes == ["fired"]
        assert store.get_execution(created.id) is not None
        state = store.get_trigger_state("down", "b", "on_a")
        assert state is not None and state.locked_execution_id == created.id
        # the same upstream end (a replay) fires nothing more
        assert store.fire_trigger(_downstream_fire(_fake_end(execution_id)), execution("down", "b"),
                                  ExecutionCreated(), NOW) == "duplicate"

    def test_a_failing_handler_leaves_the_end_queued_and_writes_nothing(self, store: SqlStore) -> None:
        _end(store)
        created = execution("down", "b")

        def crash(tx: EndTx, end: ExecutionEnd) -> None:
            tx.save_precondition("down", "b", "on_a", PreconditionState(met={"x": 1}))
            tx.fire(_downstream_fire(end), created, ExecutionCreated())
            raise RuntimeError("scheduler died")

        with pytest.raises(RuntimeError, match="scheduler died"):
            store.process_next_end(crash, NOW)
        assert store.pending_ends() == 1
        assert store.get_execution(created.id) is None
        assert store.get_precondition("down", "b", "on_a") is None
        assert len(_consume(store)) == 1

    def test_preconditions_are_stored_per_trigger(self, store: SqlStore) -> None:
        _end(store)
        window = PreconditionState(window_start=NOW, window_end=NOW + timedelta(days=1),
                                   met={"flows[0]": {"executionId": "x", "at": NOW.isoformat()}})

        def save(tx: EndTx, end: ExecutionEnd) -> None:
            assert tx.lock_precondition("down", "b", "on_a") == PreconditionState()
            tx.save_precondition("down", "b", "on_a", window)

        _consume(store, save)
        assert store.get_precondition("down", "b", "on_a") == window
        assert store.get_precondition("down", "b", "other") is None
        assert store.reset_precondition("down", "b", "on_a")
        assert store.get_precondition("down", "b", "on_a") is None
        assert not store.reset_precondition("down", "b", "on_a")

    def test_concurrent_consumers_take_each_end_once(self, store: SqlStore) -> None:
        ids = {_end(store) for _ in range(6)}
        seen: list[str] = []
        lock = threading.Lock()
        barrier = threading.Barrier(4)

        def consume() -> None:
            barrier.wait()

            def handler(tx: EndTx, end: ExecutionEnd) -> None:
                with lock:
                    seen.append(end.execution_id)

            while store.process_next_end(handler, NOW):
                pass

        threads = [threading.Thread(target=consume) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(seen) == sorted(ids)
        assert store.pending_ends() == 0


def _fake_end(execution_id: str) -> ExecutionEnd:
    return ExecutionEnd(id=0, key=execution_id, execution_id=execution_id, namespace="up", flow_id="a",
                        state=State.SUCCESS, ended=NOW)
