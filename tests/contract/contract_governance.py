"""Contract: namespace secrets (sealed values, nearest namespace first, one-transaction re-sealing) and the
audit log (appended with the write it describes, searched, purged)."""

from __future__ import annotations

import pytest

from legato.engine.events import ExecutionCreated
from legato.store.ports.governance import AuditEntry, AuditFilter, SecretRecord
from legato.store.sql import SqlStore

from .helpers import NOW, at, execution


def _entry(n: int = 0, *, resource: str = "FLOW", namespace: str | None = "company.team", actor: str = "alice",
           action: str = "UPDATE") -> AuditEntry:
    return AuditEntry(at=at(n), action=action, resource=resource, resource_id=f"company.team.f{n}",
                      actor_kind="user", actor=actor, namespace=namespace, ip="127.0.0.1", token_id="tok-1",
                      details={"before": {"n": n}, "after": {"n": n + 1}})


class GovernanceContract:
    def test_a_secret_round_trips_and_is_replaced_in_place(self, store: SqlStore) -> None:
        first = SecretRecord("company", "DB_PASSWORD", "sealed-1", "the db", {"team": "data"}, NOW, "alice")
        assert store.secret_put(first) is None
        got = store.secret_get("company", "DB_PASSWORD")
        assert got == first
        second = SecretRecord("company", "DB_PASSWORD", "sealed-2", None, {}, at(5), "bob")
        assert store.secret_put(second) == first
        assert store.secret_get("company", "DB_PASSWORD") == second
        assert [s.key for s in store.secrets_of("company")] == ["DB_PASSWORD"]
        assert store.secrets_of("company.team") == []

    def test_the_nearest_namespace_of_the_chain_wins(self, store: SqlStore) -> None:
        store.secret_put(SecretRecord("company", "K", "parent", updated=NOW))
        store.secret_put(SecretRecord("company.team.sub", "K", "child", updated=NOW))
        chain = ["company.team.sub.x", "company.team.sub", "company.team", "company"]
        assert store.secret_nearest(chain, "K").value == "child"  # type: ignore[union-attr]
        assert store.secret_nearest(chain[2:], "K").value == "parent"  # type: ignore[union-attr]
        assert store.secret_nearest(["other"], "K") is None
        assert store.secret_nearest(chain, "K", tenant="other") is None

    def test_delete_returns_what_it_deleted_and_audits_with_it(self, store: SqlStore) -> None:
        store.secret_put(SecretRecord("ns", "K", "v", updated=NOW))
        audit = [_entry(action="DELETE", resource="SECRET")]
        assert store.secret_delete("ns", "K", audit) is not None
        assert store.secret_delete("ns", "K", audit) is None  # nothing deleted: nothing audited
        records, total = store.audit_search(AuditFilter(resource="SECRET"))
        assert total == 1 and records[0].entry == audit[0]

    def test_reseal_rewrites_every_value_in_one_transaction(self, store: SqlStore) -> None:
        for ns in ("a", "a.b", "c"):
            store.secret_put(SecretRecord(ns, "K", f"old-{ns}", updated=NOW))
        assert store.secrets_reseal(lambda v: v.replace("old", "new")) == 3
        assert [store.secret_get(ns, "K").value for ns in ("a", "a.b", "c")] == ["new-a", "new-a.b", "new-c"]  # type: ignore[union-attr]

        def fail_on_c(value: str) -> str:
            if value.endswith("-c"):
                raise ValueError("cannot open")
            return "broken"

        with pytest.raises(ValueError, match="cannot open"):
            store.secrets_reseal(fail_on_c)
        assert [store.secret_get(ns, "K").value for ns in ("a", "a.b", "c")] == ["new-a", "new-a.b", "new-c"]  # type: ignore[union-attr]

    def test_reseal_rewrites_the_sealed_inputs_of_executions_too(self, store: SqlStore) -> None:
        sealed = {"pw": "legato:sealed:v1:aaa", "n": 1, "nested": {"x": "legato:sealed:v1:bbb", "y": "plain"}}
        with_secret, without = execution(inputs=sealed), execution(inputs={"plain": "legato"})
        for e in (with_secret, without):
            store.create_execution(e, ExecutionCreated())
        store.secrets_reseal(lambda v: v + "-new")
        assert store.get_execution(with_secret.id).inputs == {  # type: ignore[union-attr]
            "pw": "legato:sealed:v1:aaa-new", "n": 1, "nested": {"x": "legato:sealed:v1:bbb-new", "y": "plain"}}
        assert store.get_execution(without.id).inputs == {"plain": "legato"}  # type: ignore[union-attr]

    def test_audit_entries_round_trip_and_filter(self, store: SqlStore) -> None:
        store.audit_append([_entry(0), _entry(1, resource="SECRET", namespace="company"),
                            _entry(2, actor="bob", namespace="company.teamx"), _entry(3, namespace=None)])
        records, total = store.audit_search(AuditFilter())
        assert total == 4 and [r.entry.at for r in records] == [at(3), at(2), at(1), at(0)]
        assert records[-1].entry == _entry(0)

        def ids(f: AuditFilter) -> list[int]:
            return [int(r.entry.resource_id.rsplit("f", 1)[1]) for r in store.audit_search(f, descending=False)[0]]

        assert ids(AuditFilter(resource="secret")) == [1]
        assert ids(AuditFilter(namespace="company.team")) == [0]  # a child, not `company.teamx`
        assert ids(AuditFilter(namespace="company")) == [0, 1, 2]
        assert ids(AuditFilter(actor="bob")) == [2]
        assert ids(AuditFilter(since=at(1), until=at(3))) == [1, 2]
        assert ids(AuditFilter(after_id=records[1].id)) == [3]
        assert ids(AuditFilter(tenant="other")) == []
        page, total = store.audit_search(AuditFilter(), limit=2, offset=2)
        assert total == 4 and len(page) == 2

    def test_audited_entries_commit_with_the_write(self, store: SqlStore) -> None:
        with store.audited([_entry(0)]):
            store.kv_set("ns", "k", 1, type="NUMBER", expires_at=None, now=NOW)
        assert store.audit_search(AuditFilter())[1] == 1

    def test_audited_entries_roll_back_with_a_failed_write(self, store: SqlStore) -> None:
        with pytest.raises(ValueError), store.audited([_entry(0)]):
            store.kv_set("ns", "k", 1, type="NOT-A-TYPE", expires_at=None, now=NOW)
        assert store.audit_search(AuditFilter())[1] == 0
        store.kv_set("ns", "k", 1, type="NUMBER", expires_at=None, now=NOW)  # a later write carries nothing
        assert store.audit_search(AuditFilter())[1] == 0

    def test_audited_entries_without_a_write_are_appended_on_their_own(self, store: SqlStore) -> None:
        with store.audited([_entry(0)]):
            store.secrets_of("ns")
        assert store.audit_search(AuditFilter())[1] == 1

    def test_purge_deletes_the_oldest_entries_in_batches(self, store: SqlStore) -> None:
        store.audit_append([_entry(n) for n in range(5)])
        assert store.purge_audit(at(3), limit=2) == 2
        assert store.purge_audit(at(3), limit=2) == 1
        assert store.purge_audit(at(3), limit=2) == 0
        assert [r.entry.at for r in store.audit_search(AuditFilter())[0]] == [at(4), at(3)]
