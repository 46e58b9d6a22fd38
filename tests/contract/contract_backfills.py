"""Contract: backfills (one per trigger, cursor never backwards), backfill fires leaving the trigger's state
alone, and restarting a trigger."""

from __future__ import annotations

from datetime import timedelta

from legato.engine.events import ExecutionCreated
from legato.store.ports import BackfillState, TriggerFire
from legato.store.sql import SqlStore

from .helpers import NOW, at, execution


def _backfill(**changes: object) -> BackfillState:
    fields: dict[str, object] = {
        "namespace": "ns", "flow_id": "f", "trigger_id": "cron", "start": at(-3600), "end": at(-60),
        "cursor": at(-3600) - timedelta(microseconds=1), "paused": False, "inputs": {"n": 1},
        "labels": {"why": "test"}, "fired": 0, "execution_id": None, "created": NOW, "updated": NOW,
    }
    return BackfillState(**(fields | changes))  # type: ignore[arg-type]


class BackfillContract:
    def test_one_backfill_per_trigger(self, store: SqlStore) -> None:
        assert store.create_backfill(_backfill())
        assert not store.create_backfill(_backfill(start=at(-100)))
        assert store.get_backfill("ns", "f", "cron") == _backfill()
        assert store.create_backfill(_backfill(trigger_id="other"))
        assert [b.trigger_id for b in store.backfills("ns", "f")] == ["cron", "other"]
        assert store.backfills("elsewhere") == []

    def test_pause_resume_delete(self, store: SqlStore) -> None:
        store.create_backfill(_backfill())
        paused = store.set_backfill_paused("ns", "f", "cron", True, at(1))
        assert paused is not None and paused.paused and paused.updated == at(1)
        resumed = store.set_backfill_paused("ns", "f", "cron", False, at(2))
        assert resumed is not None and not resumed.paused
        assert store.set_backfill_paused("ns", "f", "missing", True, at(2)) is None
        assert store.delete_backfill("ns", "f", "cron")
        assert not store.delete_backfill("ns", "f", "cron")
        assert store.get_backfill("ns", "f", "cron") is None

    def test_the_cursor_only_moves_forward(self, store: SqlStore) -> None:
        store.create_backfill(_backfill())
        store.advance_backfill("ns", "f", "cron", at(-1800), "exec-1", 1, at(1))
        store.advance_backfill("ns", "f", "cron", at(-3000), None, 1, at(2))  # a slower scheduler, late
        found = store.get_backfill("ns", "f", "cron")
        assert found is not None
        assert (found.cursor, found.fired, found.execution_id) == (at(-1800), 2, "exec-1")

    def test_a_backfill_fire_leaves_the_trigger_state_alone(self, store: SqlStore) -> None:
        live = execution("ns", "f")
        store.fire_trigger(TriggerFire(namespace="ns", flow_id="f", trigger_id="cron", key=NOW.isoformat(), date=NOW,
                                       next_date=at(60), exclusive=True), live, ExecutionCreated(), NOW)
        old = execution("ns", "f")
        fire = TriggerFire(namespace="ns", flow_id="f", trigger_id="cron", key=at(-3600).isoformat(),
                           date=at(-3600), next_date=at(-3540), backfill=True)
        assert store.fire_trigger(fire, old, ExecutionCreated(), at(1)) == "fired"
        assert store.fire_trigger(fire, execution("ns", "f"), ExecutionCreated(), at(2)) == "duplicate"
        state = store.get_trigger_state("ns", "f", "cron")
        assert state is not None
        assert (state.last_date, state.next_date, state.locked_execution_id) == (NOW, at(60), live.id)

    def test_restart_clears_the_lock_and_starts_from_now(self, store: SqlStore) -> None:
        assert store.restart_trigger("ns", "f", "cron", NOW) is None
        live = execution("ns", "f")
        store.fire_trigger(TriggerFire(namespace="ns", flow_id="f", trigger_id="cron", key=NOW.isoformat(), date=NOW,
                                       next_date=at(60)), live, ExecutionCreated(), NOW)
        state = store.restart_trigger("ns", "f", "cron", at(30))
        assert state is not None
        assert (state.last_date, state.next_date, state.locked_execution_id) == (at(30), None, None)
