"""Contract: trigger fires create their execution exactly once, however many callers race."""

from __future__ import annotations

import threading

from legato.engine.events import ExecutionCreated
from legato.model.state import State
from legato.store.ports import TriggerFire
from legato.store.sql import SqlStore

from .helpers import NOW, at, drain, execution


def _fire(seconds: float, *, exclusive: bool = False, key: str | None = None) -> TriggerFire:
    return TriggerFire(namespace="ns", flow_id="f", trigger_id="cron", key=key or at(seconds).isoformat(),
                       date=at(seconds), next_date=at(seconds + 60), exclusive=exclusive)


class FireContract:
    def test_a_fire_creates_its_execution_and_moves_the_trigger(self, store: SqlStore) -> None:
        created = execution("ns", "f")
        assert store.fire_trigger(_fire(0), created, ExecutionCreated(), NOW) == "fired"
        assert store.get_execution(created.id) == created
        state = store.get_trigger_state("ns", "f", "cron")
        assert state is not None
        assert (state.last_date, state.next_date, state.locked_execution_id, state.disabled) == (NOW, at(60), created.id, False)
        assert [e.execution_id for e in drain(store)] == [created.id]

    def test_the_same_fire_twice_creates_nothing_more(self, store: SqlStore) -> None:
        first, second = execution("ns", "f"), execution("ns", "f")
        assert store.fire_trigger(_fire(0), first, ExecutionCreated(), NOW) == "fired"
        assert store.fire_trigger(_fire(0), second, ExecutionCreated(), at(1)) == "duplicate"
        assert store.get_execution(second.id) is None
        assert [x.id for x in store.list_executions(namespace="ns")] == [first.id]

    def test_concurrent_fires_of_one_date_create_one_execution(self, store: SqlStore) -> None:
        outcomes: list[str] = []
        barrier = threading.Barrier(8)

        def fire() -> None:
            barrier.wait()
            outcomes.append(store.fire_trigger(_fire(0), execution("ns", "f"), ExecutionCreated(), NOW))

        threads = [threading.Thread(target=fire) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["duplicate"] * 7 + ["fired"]
        assert len(store.list_executions(namespace="ns")) == 1

    def test_an_exclusive_fire_waits_for_the_previous_execution(self, store: SqlStore) -> None:
        first = execution("ns", "f")
        assert store.fire_trigger(_fire(0, exclusive=True), first, ExecutionCreated(), NOW) == "fired"
        blocked = execution("ns", "f")
        assert store.fire_trigger(_fire(60, exclusive=True), blocked, ExecutionCreated(), at(60)) == "locked"
        assert store.get_execution(blocked.id) is None
        assert store.get_trigger_state("ns", "f", "cron").last_date == NOW  # type: ignore[union-attr]
        # not exclusive (allowConcurrent): fires while the first runs
        assert store.fire_trigger(_fire(60), execution("ns", "f"), ExecutionCreated(), at(60)) == "fired"

    def test_an_exclusive_fire_goes_once_the_previous_execution_ended(self, store: SqlStore) -> None:
        first = execution("ns", "f")
        store.fire_trigger(_fire(0, exclusive=True), first, ExecutionCreated(), NOW)
        drain(store)
        _set_state(store, first.id, State.SUCCESS)
        later = execution("ns", "f")
        assert store.fire_trigger(_fire(60, exclusive=True), later, ExecutionCreated(), at(60)) == "fired"
        assert store.get_trigger_state("ns", "f", "cron").locked_execution_id == later.id  # type: ignore[union-attr]

    def test_an_unlocked_trigger_fires_although_its_execution_runs(self, store: SqlStore) -> None:
        store.fire_trigger(_fire(0, exclusive=True), execution("ns", "f"), ExecutionCreated(), NOW)
        store.unlock_trigger("ns", "f", "cron", at(1))
        assert store.fire_trigger(_fire(60, exclusive=True), execution("ns", "f"), ExecutionCreated(), at(60)) == "fired"

    def test_dates_never_move_backwards(self, store: SqlStore) -> None:
        store.fire_trigger(_fire(120), execution("ns", "f"), ExecutionCreated(), NOW)
        store.fire_trigger(_fire(60), execution("ns", "f"), ExecutionCreated(), NOW)  # a slower scheduler
        store.advance_trigger("ns", "f", "cron", at(0), at(60), NOW)
        state = store.get_trigger_state("ns", "f", "cron")
        assert (state.last_date, state.next_date) == (at(120), at(180))  # type: ignore[union-attr]
        store.advance_trigger("ns", "f", "cron", at(240), at(300), at(5))
        state = store.get_trigger_state("ns", "f", "cron")
        assert (state.last_date, state.next_date, state.updated) == (at(240), at(300), at(5))  # type: ignore[union-attr]

    def test_advancing_creates_the_state_and_keeps_flags(self, store: SqlStore) -> None:
        store.set_trigger_disabled("ns", "f", "cron", True, NOW)
        store.advance_trigger("ns", "f", "cron", at(60), at(120), at(1))
        state = store.get_trigger_state("ns", "f", "cron")
        assert (state.disabled, state.last_date, state.next_date) == (True, at(60), at(120))  # type: ignore[union-attr]
        store.advance_trigger("ns", "g", "cron", at(60), None, at(1))
        assert store.get_trigger_state("ns", "g", "cron").enabled  # type: ignore[union-attr]

    def test_fires_of_other_triggers_and_keys_are_separate(self, store: SqlStore) -> None:
        assert store.fire_trigger(_fire(0, key="upstream-1"), execution("ns", "f"), ExecutionCreated(), NOW) == "fired"
        assert store.fire_trigger(_fire(0, key="upstream-2"), execution("ns", "f"), ExecutionCreated(), NOW) == "fired"
        other = TriggerFire(namespace="ns", flow_id="f", trigger_id="other", key="upstream-1")
        assert store.fire_trigger(other, execution("ns", "f"), ExecutionCreated(), NOW) == "fired"
        assert store.get_trigger_state("ns", "f", "other").last_date is None  # type: ignore[union-attr]

    def test_pruned_fires_are_forgotten(self, store: SqlStore) -> None:
        store.fire_trigger(_fire(0), execution("ns", "f"), ExecutionCreated(), NOW)
        store.fire_trigger(_fire(60), execution("ns", "f"), ExecutionCreated(), at(60))
        assert store.prune_trigger_fires(at(30)) == 1
        assert store.fire_trigger(_fire(0), execution("ns", "f"), ExecutionCreated(), at(90)) == "fired"
        assert store.fire_trigger(_fire(60), execution("ns", "f"), ExecutionCreated(), at(90)) == "duplicate"


def _set_state(store: SqlStore, execution_id: str, state: State) -> None:
    """What the executor does when the execution ends."""
    store.send_event(execution_id, ExecutionCreated())

    def end(tx, stored):  # type: ignore[no-untyped-def]
        current = tx.view().execution
        tx.write(current.with_state(state, NOW).model_copy(update={"ended": NOW}), [], {})

    assert store.process_next_event(end)

    def test_a_trigger_error_is_kept_until_a_fire_clears_it(self, store: SqlStore) -> None:
        store.set_trigger_error("ns", "f", "cron", "poll failed: boom", NOW)  # creates the state
        state = store.get_trigger_state("ns", "f", "cron")
        assert state is not None and (state.error, state.error_date, state.disabled) == ("poll failed: boom", NOW, False)
        # the FAILED execution of a failure records its error with the fire
        failure = execution("ns", "f")
        fire = TriggerFire(namespace="ns", flow_id="f", trigger_id="cron", key="k1", error="again")
        assert store.fire_trigger(fire, failure, ExecutionCreated(failure="again"), at(1)) == "fired"
        state = store.get_trigger_state("ns", "f", "cron")
        assert state is not None and (state.error, state.error_date) == ("again", at(1))
        # a fire that works clears it
        assert store.fire_trigger(_fire(60), execution("ns", "f"), ExecutionCreated(), at(2)) == "fired"
        state = store.get_trigger_state("ns", "f", "cron")
        assert state is not None and (state.error, state.error_date) == (None, None)
        store.set_trigger_error("ns", "f", "cron", "x", at(3))
        store.set_trigger_error("ns", "f", "cron", None, at(4))
        assert store.get_trigger_state("ns", "f", "cron").error is None  # type: ignore[union-attr]
