"""Contract: a polling/realtime trigger's lease belongs to one process at a time; its cursor is saved with
the execution it fires."""

from __future__ import annotations

import threading
import time

from legato.engine.events import ExecutionCreated
from legato.store.ports import TriggerFire
from legato.store.sql import SqlStore

from .helpers import NOW, execution

KEY = ("ns", "f", "poll")
TENANT_KEY = ("main", *KEY)  # how leases name a trigger: its tenant first


def _fire(key: str, owner: str | None, state: dict[str, object] | None = None) -> TriggerFire:
    return TriggerFire(namespace="ns", flow_id="f", trigger_id="poll", key=key, date=NOW, state=state, lease_owner=owner)


class LeaseContract:
    def test_one_owner_at_a_time(self, store: SqlStore) -> None:
        first = store.claim_trigger_lease(*KEY, "a", 30)
        assert first is not None and first.source_state == {} and first.owner == "a"
        assert store.claim_trigger_lease(*KEY, "b", 30) is None
        again = store.claim_trigger_lease(*KEY, "a", 30)  # the owner keeps it
        assert again is not None and again.expires_at >= first.expires_at
        state = store.get_trigger_state(*KEY)
        assert state is not None and state.lease_owner == "a" and not state.disabled

    def test_an_expired_lease_is_taken_over(self, store: SqlStore) -> None:
        assert store.claim_trigger_lease(*KEY, "a", 0.05) is not None
        time.sleep(0.1)
        taken = store.claim_trigger_lease(*KEY, "b", 30)
        assert taken is not None and taken.owner == "b"
        assert store.renew_trigger_leases("a", 30) == set()  # a learns it lost the trigger
        assert store.renew_trigger_leases("b", 30) == {TENANT_KEY}

    def test_release_frees_the_trigger(self, store: SqlStore) -> None:
        store.claim_trigger_lease(*KEY, "a", 30)
        store.claim_trigger_lease("ns", "f", "other", "a", 30)
        assert store.release_trigger_leases("a", [TENANT_KEY]) == 1
        assert store.claim_trigger_lease(*KEY, "b", 30) is not None
        assert store.release_trigger_leases("a") == 1
        assert store.release_trigger_leases("a", []) == 0

    def test_racing_claims_leave_one_owner(self, store: SqlStore) -> None:
        barrier = threading.Barrier(6)
        winners: list[str] = []

        def claim(owner: str) -> None:
            barrier.wait()
            if store.claim_trigger_lease(*KEY, owner, 30) is not None:
                winners.append(owner)

        threads = [threading.Thread(target=claim, args=(f"p{i}",)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(winners) == 1

    def test_the_cursor_is_saved_with_the_execution(self, store: SqlStore) -> None:
        store.claim_trigger_lease(*KEY, "a", 30)
        created = execution("ns", "f")
        assert store.fire_trigger(_fire("k1", "a", {"last_id": 7}), created, ExecutionCreated(), NOW) == "fired"
        lease = store.claim_trigger_lease(*KEY, "a", 30)
        assert lease is not None and lease.source_state == {"last_id": 7} and lease.locked_execution_id == created.id
        # no new cursor: the saved one stays
        assert store.fire_trigger(_fire("k2", "a"), execution("ns", "f"), ExecutionCreated(), NOW) == "fired"
        assert store.get_trigger_state(*KEY).source_state == {"last_id": 7}  # type: ignore[union-attr]

    def test_a_fire_after_losing_the_lease_is_fenced(self, store: SqlStore) -> None:
        store.claim_trigger_lease(*KEY, "a", 0.05)
        time.sleep(0.1)
        store.claim_trigger_lease(*KEY, "b", 30)
        late = execution("ns", "f")
        assert store.fire_trigger(_fire("k1", "a", {"last_id": 9}), late, ExecutionCreated(), NOW) == "fenced"
        assert store.get_execution(late.id) is None
        assert store.get_trigger_state(*KEY).source_state is None  # type: ignore[union-attr]
