"""Contract: trigger state, fires, source leases, precondition windows, backfills and flow test suites per tenant:
the same namespace, flow id and trigger (or suite) id in `main` and in `acme` are two that never see each other's
rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato.engine.events import ExecutionCreated
from legato.model.state import State
from legato.store.ports import (
    MAIN,
    BackfillState,
    EndTx,
    ExecutionEnd,
    PreconditionState,
    SuiteSave,
    TestResultRecord,
    TriggerFire,
)
from legato.store.sql import SqlStore

from .helpers import NOW, at, execution, in_tx, started

ACME = "acme"
KEY = ("ns", "f", "cron")


def _fire(date_key: str, tenant: str) -> TriggerFire:
    return TriggerFire(namespace="ns", flow_id="f", trigger_id="cron", key=date_key, date=NOW, next_date=at(60),
                       exclusive=True, tenant=tenant)


def _backfill(tenant: str) -> BackfillState:
    return BackfillState(namespace="ns", flow_id="f", trigger_id="cron", start=at(-3600), end=at(-60),
                         cursor=at(-3600) - timedelta(microseconds=1), paused=False, inputs=None, labels={},
                         fired=0, execution_id=None, created=NOW, updated=NOW, tenant=tenant)


class TriggerTenantContract:
    def test_the_same_trigger_key_fires_once_in_each_tenant(self, store: SqlStore) -> None:
        mine, theirs = execution("ns", "f"), execution("ns", "f", tenant=ACME)
        assert store.fire_trigger(_fire("d1", MAIN), mine, ExecutionCreated(), NOW) == "fired"
        # the same fire key in another tenant is another trigger's: it fires, and its lock is its own
        assert store.fire_trigger(_fire("d1", ACME), theirs, ExecutionCreated(), NOW) == "fired"
        assert store.fire_trigger(_fire("d1", ACME), execution("ns", "f", tenant=ACME), ExecutionCreated(),
                                  NOW) == "locked"
        main_state, acme_state = store.get_trigger_state(*KEY), store.get_trigger_state(*KEY, tenant=ACME)
        assert main_state is not None and main_state.locked_execution_id == mine.id and main_state.tenant == MAIN
        assert acme_state is not None and acme_state.locked_execution_id == theirs.id and acme_state.tenant == ACME
        assert store.get_execution(theirs.id, tenant=ACME) == theirs

    def test_an_execution_of_another_tenant_is_refused(self, store: SqlStore) -> None:
        with pytest.raises(ValueError, match="tenant"):
            store.fire_trigger(_fire("d1", MAIN), execution("ns", "f", tenant=ACME), ExecutionCreated(), NOW)
        assert store.get_trigger_state(*KEY) is None

    def test_state_changes_stay_in_their_tenant(self, store: SqlStore) -> None:
        store.set_trigger_disabled(*KEY, True, NOW, tenant=ACME)
        assert store.get_trigger_state(*KEY) is None
        assert [(s.tenant, s.disabled) for s in store.trigger_states(tenant=ACME)] == [(ACME, True)]
        assert store.trigger_states() == [] and store.trigger_states("ns", "f") == []
        store.set_trigger_error(*KEY, "boom", NOW)
        assert store.get_trigger_state(*KEY, tenant=ACME).error is None  # type: ignore[union-attr]
        store.advance_trigger(*KEY, None, at(60), NOW, tenant=ACME)
        assert store.get_trigger_state(*KEY).next_date is None  # type: ignore[union-attr]
        assert store.unlock_trigger("ns", "f", "other", NOW, tenant=ACME) is None
        assert store.restart_trigger(*KEY, at(5), tenant=ACME).last_date == at(5)  # type: ignore[union-attr]
        assert store.get_trigger_state(*KEY).last_date is None  # type: ignore[union-attr]
        every = store.trigger_states(tenant=None)
        assert [(s.tenant, s.trigger_id) for s in every] == [(ACME, "cron"), (MAIN, "cron")]

    def test_leases_name_their_tenant(self, store: SqlStore) -> None:
        mine = store.claim_trigger_lease(*KEY, "a", 30)
        theirs = store.claim_trigger_lease(*KEY, "b", 30, tenant=ACME)  # not held: another tenant's trigger
        assert mine is not None and theirs is not None and (mine.tenant, theirs.tenant) == (MAIN, ACME)
        assert store.renew_trigger_leases("b", 30) == {(ACME, *KEY)}
        assert store.release_trigger_leases("a", [(ACME, *KEY)]) == 0
        assert store.release_trigger_leases("b", [(ACME, *KEY)]) == 1
        assert store.get_trigger_state(*KEY).lease_owner == "a"  # type: ignore[union-attr]

    def test_backfills_per_tenant(self, store: SqlStore) -> None:
        assert store.create_backfill(_backfill(ACME))
        assert store.create_backfill(_backfill(MAIN))  # the same trigger key in main is another trigger
        assert store.get_backfill(*KEY, tenant=ACME) == _backfill(ACME)
        assert store.set_backfill_paused(*KEY, True, NOW, tenant=ACME).paused  # type: ignore[union-attr]
        assert not store.get_backfill(*KEY).paused  # type: ignore[union-attr]
        store.advance_backfill(*KEY, at(-1800), "e1", 1, NOW)
        assert store.get_backfill(*KEY, tenant=ACME).fired == 0  # type: ignore[union-attr]
        assert [b.tenant for b in store.backfills(tenant=None)] == [ACME, MAIN]
        assert [b.tenant for b in store.backfills("ns")] == [MAIN]
        assert store.delete_backfill(*KEY, tenant=ACME) and store.get_backfill(*KEY) is not None

    def test_precondition_windows_per_tenant(self, store: SqlStore) -> None:
        running = started(store, namespace="up", flow_id="a", tenant=ACME)
        ended = running.with_state(State.SUCCESS, at(5)).model_copy(update={"ended": at(5)})
        in_tx(store, running.id, lambda tx: tx.write(ended, [], {}))

        def save(tx: EndTx, end: ExecutionEnd) -> None:
            assert tx.lock_precondition(*KEY, tenant=ACME) == PreconditionState()
            tx.save_precondition(*KEY, PreconditionState(met={"x": 1}), tenant=ACME)

        assert store.process_next_end(save, NOW)
        assert store.get_precondition(*KEY, tenant=ACME) == PreconditionState(met={"x": 1})
        assert store.get_precondition(*KEY) is None
        assert store.reset_precondition(*KEY) is False and store.reset_precondition(*KEY, tenant=ACME)

    def test_test_suites_and_results_per_tenant(self, store: SqlStore) -> None:
        suite = SuiteSave("ns", "s", "f", "source of acme")
        store.save_test_suite(suite, NOW, tenant=ACME)
        assert store.get_test_suite("ns", "s") is None and store.list_test_suites() == []
        assert store.get_test_suite("ns", "s", tenant=ACME).tenant == ACME  # type: ignore[union-attr]
        store.replace_flows([], [], NOW, suites=[SuiteSave("ns", "s", "f", "source of main")])
        assert store.get_test_suite("ns", "s").source == "source of main"  # type: ignore[union-attr]
        result = TestResultRecord("r1", "ns", "s", "f", "SUCCESS", NOW, NOW, {"id": "r1"}, ACME)
        store.add_test_result(result)
        assert store.get_test_result("r1") is None and store.get_test_result("r1", tenant=ACME) == result
        assert store.test_results("ns", "s") == [] and store.test_results("ns", "s", tenant=ACME) == [result]
        assert store.delete_test_suite("ns", "s", tenant=ACME)
        assert store.get_test_suite("ns", "s") is not None

    def test_deleting_a_flow_forgets_its_triggers_keeping_its_executions(self, store: SqlStore) -> None:
        for tenant in (MAIN, ACME):
            for flow_id in ("f", "g"):
                store.save_flow("ns", flow_id, f"{flow_id} of {tenant}", disabled=False, now=NOW, tenant=tenant)
                store.set_trigger_disabled("ns", flow_id, "cron", True, NOW, tenant=tenant)
            store.create_backfill(_backfill(tenant))
        ran = execution("ns", "f", tenant=ACME)
        assert store.fire_trigger(_fire("d1", ACME), ran, ExecutionCreated(), NOW) == "fired"
        running = started(store, namespace="up", flow_id="a", tenant=ACME)
        ended = running.with_state(State.SUCCESS, at(5)).model_copy(update={"ended": at(5)})
        in_tx(store, running.id, lambda tx: tx.write(ended, [], {}))

        def save(tx: EndTx, end: ExecutionEnd) -> None:
            tx.lock_precondition(*KEY, tenant=ACME)
            tx.save_precondition(*KEY, PreconditionState(met={"x": 1}), tenant=ACME)

        assert store.process_next_end(save, NOW)
        assert store.get_precondition(*KEY, tenant=ACME) is not None

        assert store.delete_flow("ns", "f", at(1), tenant=ACME) is True
        assert store.get_trigger_state(*KEY, tenant=ACME) is None
        assert store.get_backfill(*KEY, tenant=ACME) is None
        assert store.get_precondition(*KEY, tenant=ACME) is None
        assert store.get_execution(ran.id, tenant=ACME) is not None  # executions are kept, as Kestra keeps them
        # the other flow of the tenant, and the same flow in main, keep theirs
        assert store.get_trigger_state("ns", "g", "cron", tenant=ACME) is not None
        assert store.get_trigger_state(*KEY) is not None and store.get_backfill(*KEY) is not None
        # a bulk deletion forgets them too; the flow deployed again starts with no state
        store.replace_flows([], [("ns", "f"), ("ns", "g")], at(2))
        assert store.trigger_states() == [] and store.backfills("ns") == []
        store.save_flow("ns", "f", "f again", disabled=False, now=at(3), tenant=ACME)
        assert store.get_trigger_state(*KEY, tenant=ACME) is None
