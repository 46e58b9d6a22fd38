"""Contract: timers fire once, when due, as TimerFired events."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from legato.engine.events import TimerFired
from legato.store.ports import Tx
from legato.store.sql import SqlStore

from .helpers import at, drain, in_tx, started


class TimerContract:
    def test_due_timers_fire_once_in_time_order_and_others_wait(self, store: SqlStore) -> None:
        ex = started(store)

        def schedule(tx: Tx) -> None:
            tx.insert_timer(ex.id, at(30), "pause", "p", "k3")
            tx.insert_timer(ex.id, at(10), "retry", "r", "k1")
            tx.insert_timer(ex.id, at(20), "start", None, "k2")

        in_tx(store, ex.id, schedule)
        assert store.next_timer_at() == at(10)
        assert store.fire_due_timers(at(9)) == 0
        assert store.fire_due_timers(at(20)) == 2
        assert store.fire_due_timers(at(20)) == 0
        assert [(e.execution_id, e.event) for e in drain(store)] == [
            (ex.id, TimerFired(task_run_id="r", timer="retry", key="k1")),
            (ex.id, TimerFired(task_run_id=None, timer="start", key="k2")),
        ]
        assert store.next_timer_at() == at(30)
        assert store.fire_due_timers(at(31), limit=1) == 1
        assert store.next_timer_at() is None

    def test_fire_respects_its_limit(self, store: SqlStore) -> None:
        ex = started(store)

        def schedule(tx: Tx) -> None:
            for i in range(5):
                tx.insert_timer(ex.id, at(i), "loop", f"r{i}", f"key{i}")

        in_tx(store, ex.id, schedule)
        assert store.fire_due_timers(at(60), limit=2) == 2
        assert store.fire_due_timers(at(60), limit=10) == 3
        assert [e.event.key for e in drain(store)] == [f"key{i}" for i in range(5)]  # type: ignore[union-attr]

    def test_a_timer_kind_the_engine_does_not_know_is_refused_when_scheduled(self, store: SqlStore) -> None:
        ex = started(store)

        def schedule(tx: Tx) -> None:
            with pytest.raises(ValidationError):
                tx.insert_timer(ex.id, at(1), "someday", None, "k")

        in_tx(store, ex.id, schedule)
        assert store.next_timer_at() is None
