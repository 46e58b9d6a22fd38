"""Contract: trigger state (enabled or not, dates, the execution a trigger waits for)."""

from __future__ import annotations

import threading

from sqlalchemy import update

from legato.store.schema import triggers
from legato.store.sql import SqlStore

from .helpers import NOW, at


def _lock(store: SqlStore, namespace: str, flow_id: str, trigger_id: str, execution_id: str) -> None:
    """What the scheduler will do when a trigger fires: remember the execution it waits for."""
    key = (triggers.c.namespace == namespace) & (triggers.c.flow_id == flow_id) & (triggers.c.trigger_id == trigger_id)
    with store.database.engine.begin() as conn:
        conn.execute(update(triggers).where(key).values(locked_execution_id=execution_id, next_date=at(60), last_date=NOW))


class TriggerContract:
    def test_a_trigger_without_state_has_none(self, store: SqlStore) -> None:
        assert store.get_trigger_state("ns", "f", "schedule") is None
        assert store.trigger_states() == []

    def test_disabling_creates_the_state(self, store: SqlStore) -> None:
        state = store.set_trigger_disabled("ns", "f", "schedule", True, NOW)
        assert (state.namespace, state.flow_id, state.trigger_id, state.disabled, state.enabled) == (
            "ns", "f", "schedule", True, False,
        )
        assert (state.next_date, state.last_date, state.locked_execution_id, state.updated) == (None, None, None, NOW)
        assert store.get_trigger_state("ns", "f", "schedule") == state

    def test_setting_the_flag_is_idempotent_and_stamps_the_time(self, store: SqlStore) -> None:
        store.set_trigger_disabled("ns", "f", "t", False, NOW)
        assert store.set_trigger_disabled("ns", "f", "t", False, at(1)).disabled is False
        assert store.set_trigger_disabled("ns", "f", "t", True, at(2)).disabled is True
        again = store.set_trigger_disabled("ns", "f", "t", True, at(3))
        assert (again.disabled, again.updated) == (True, at(3))
        assert store.get_trigger_state("ns", "f", "t") == again

    def test_none_flips_and_an_absent_trigger_starts_enabled(self, store: SqlStore) -> None:
        assert store.set_trigger_disabled("ns", "f", "t", None, NOW).disabled is True
        assert store.set_trigger_disabled("ns", "f", "t", None, at(1)).disabled is False
        assert store.set_trigger_disabled("ns", "f", "t", None, at(2)).disabled is True
        assert store.get_trigger_state("ns", "f", "t").disabled is True  # type: ignore[union-attr]

    def test_changing_the_flag_keeps_dates_and_lock(self, store: SqlStore) -> None:
        store.set_trigger_disabled("ns", "f", "t", False, NOW)
        _lock(store, "ns", "f", "t", "exec1")
        state = store.set_trigger_disabled("ns", "f", "t", True, at(5))
        assert (state.disabled, state.next_date, state.last_date, state.locked_execution_id) == (True, at(60), NOW, "exec1")

    def test_concurrent_flips_are_not_lost(self, store: SqlStore) -> None:
        flips = 8

        def flip() -> None:
            store.set_trigger_disabled("ns", "f", "t", None, NOW)

        threads = [threading.Thread(target=flip) for _ in range(flips)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # an even number of flips from "enabled" ends enabled only if none overwrote another
        assert store.get_trigger_state("ns", "f", "t").disabled is False  # type: ignore[union-attr]

    def test_states_are_listed_by_namespace_flow_and_trigger(self, store: SqlStore) -> None:
        for ns, flow, trigger in [("b", "f", "t"), ("a", "g", "t"), ("a", "f", "z"), ("a", "f", "a"), ("ab", "f", "t")]:
            store.set_trigger_disabled(ns, flow, trigger, False, NOW)

        def keys(namespace: str | None = None, flow_id: str | None = None) -> list[tuple[str, str, str]]:
            return [(s.namespace, s.flow_id, s.trigger_id) for s in store.trigger_states(namespace, flow_id)]

        assert keys() == [("a", "f", "a"), ("a", "f", "z"), ("a", "g", "t"), ("ab", "f", "t"), ("b", "f", "t")]
        assert keys("a") == [("a", "f", "a"), ("a", "f", "z"), ("a", "g", "t")]
        assert keys("a", "f") == [("a", "f", "a"), ("a", "f", "z")]
        assert keys(flow_id="f") == [("a", "f", "a"), ("a", "f", "z"), ("ab", "f", "t"), ("b", "f", "t")]
        assert keys("missing") == []

    def test_unlock_forgets_the_execution_and_keeps_the_rest(self, store: SqlStore) -> None:
        store.set_trigger_disabled("ns", "f", "t", True, NOW)
        _lock(store, "ns", "f", "t", "exec1")
        unlocked = store.unlock_trigger("ns", "f", "t", at(10))
        assert unlocked is not None
        assert (unlocked.locked_execution_id, unlocked.disabled, unlocked.next_date, unlocked.last_date, unlocked.updated) == (
            None, True, at(60), NOW, at(10),
        )
        assert store.get_trigger_state("ns", "f", "t") == unlocked
        assert store.unlock_trigger("ns", "f", "t", at(11)).locked_execution_id is None  # type: ignore[union-attr]

    def test_unlock_of_a_trigger_without_state_creates_nothing(self, store: SqlStore) -> None:
        assert store.unlock_trigger("ns", "f", "t", NOW) is None
        assert store.trigger_states() == []
