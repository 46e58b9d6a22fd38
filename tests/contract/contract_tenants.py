"""Contract: the tenant registry, and tenant isolation of flows, executions, logs, KV entries and bindings: the
same namespace, flow id, key and execution search in `main` and in `acme` never see each other's rows."""

from __future__ import annotations

import pytest

from legato.engine.events import ExecutionCreated
from legato.identity.records import Binding
from legato.model.execution import LogRecord
from legato.model.state import State
from legato.store.ports import (
    MAIN,
    AuditEntry,
    AuditFilter,
    ExecutionFilter,
    FlowSave,
    LogFilter,
    SecretRecord,
    TenantInUse,
    TenantRecord,
)
from legato.store.sql import SqlStore

from .helpers import NOW, at, execution

ACME = "acme"


def _acme(store: SqlStore) -> None:
    assert store.create_tenant(TenantRecord(ACME, "Acme Corp", NOW, NOW)) is True


class TenantContract:
    def test_main_always_exists_and_others_are_registered(self, store: SqlStore) -> None:
        assert [t.id for t in store.list_tenants()] == [MAIN]
        assert store.get_tenant(MAIN) is not None and store.get_tenant(ACME) is None
        _acme(store)
        assert store.create_tenant(TenantRecord(ACME, "again", NOW, NOW)) is False
        assert store.create_tenant(TenantRecord(MAIN, "main again", NOW, NOW)) is False
        assert [(t.id, t.display_name) for t in store.list_tenants()] == [(MAIN, "Main"), (ACME, "Acme Corp")]
        renamed = store.rename_tenant(ACME, "ACME Inc.", at(5))
        assert renamed is not None and (renamed.display_name, renamed.created, renamed.updated) == ("ACME Inc.", NOW, at(5))
        assert store.rename_tenant("nobody", "x", NOW) is None
        assert store.rename_tenant(MAIN, "Headquarters", NOW).display_name == "Headquarters"  # type: ignore[union-attr]
        assert [t.id for t in store.list_tenants()] == [MAIN, ACME]

    def test_a_tenant_holding_flows_cannot_be_deleted(self, store: SqlStore) -> None:
        _acme(store)
        store.save_flow("ns", "f", "v1", disabled=False, now=NOW, tenant=ACME)
        with pytest.raises(TenantInUse):
            store.delete_tenant(ACME)
        with pytest.raises(TenantInUse):
            store.delete_tenant(MAIN)
        assert store.delete_flow("ns", "f", NOW, tenant=ACME) is True
        assert store.delete_tenant(ACME) is True
        assert store.get_tenant(ACME) is None and store.delete_tenant(ACME) is False

    def test_a_deleted_tenant_takes_its_rows_with_it_but_its_audit_log(self, store: SqlStore) -> None:
        _acme(store)
        ran: dict[str, str] = {}
        for tenant in (MAIN, ACME):
            store.save_flow("ns", "f", f"f of {tenant}", disabled=False, now=NOW, tenant=tenant)
            done = execution("ns", "f", state=State.SUCCESS, tenant=tenant, ended=NOW)
            store.create_execution(done, ExecutionCreated())
            store.append_logs([LogRecord(execution_id=done.id, level="INFO", message=f"of {tenant}", timestamp=NOW)])
            ran[tenant] = done.id
            store.kv_set("ns", "k", tenant, type="STRING", expires_at=None, now=NOW, tenant=tenant)
            store.secret_put(SecretRecord("ns", "K", f"sealed-{tenant}", updated=NOW, tenant=tenant))
            store.create_binding(Binding(f"b-{tenant}", "viewer", "USER", "u1", None, NOW, tenant))
            store.set_trigger_disabled("ns", "f", "cron", True, NOW, tenant=tenant)
            store.audit_append([AuditEntry(at=NOW, action="CREATE", resource="FLOW", resource_id="ns.f",
                                           actor_kind="user", actor="alice", tenant=tenant)])
        store.delete_flow("ns", "f", at(1), tenant=ACME)
        running = execution("ns", "f", state=State.RUNNING, tenant=ACME)
        store.create_execution(running, ExecutionCreated())
        with pytest.raises(TenantInUse, match="not ended"):
            store.delete_tenant(ACME)
        store.delete_execution(running.id)
        assert store.delete_tenant(ACME) is True

        assert store.get_execution(ran[ACME]) is None and store.get_flow("ns", "f", tenant=ACME) is None
        assert store.flow_revisions("ns", "f", tenant=ACME) == []
        assert store.search_logs(LogFilter(tenant=ACME))[0] == []
        assert store.kv_get("ns", "k", NOW, tenant=ACME) is None
        assert store.secret_get("ns", "K", tenant=ACME) is None
        assert store.list_bindings(tenant=ACME) == [] and store.trigger_states(tenant=ACME) == []
        assert store.audit_search(AuditFilter(tenant=ACME))[1] == 1  # the audit log outlives its tenant
        # main keeps everything; a tenant made again with the id starts empty
        assert store.get_execution(ran[MAIN]) is not None and store.get_flow("ns", "f") is not None
        assert store.kv_get("ns", "k", NOW) is not None and store.secret_get("ns", "K") is not None
        assert [b.id for b in store.list_bindings()] == ["b-main"] and store.trigger_states() != []
        _acme(store)
        assert store.binding_tenants(["u1"]) == [MAIN]

    def test_the_same_flow_id_lives_in_two_tenants(self, store: SqlStore) -> None:
        store.save_flow("ns", "f", "main v1", disabled=False, now=NOW)
        store.save_flow("ns", "f", "acme v1", disabled=False, now=NOW, tenant=ACME)
        store.save_flow("ns", "f", "acme v2", disabled=False, now=at(1), tenant=ACME)
        main, acme = store.get_flow("ns", "f"), store.get_flow("ns", "f", tenant=ACME)
        assert main is not None and (main.source, main.revision, main.tenant) == ("main v1", 1, MAIN)
        assert acme is not None and (acme.source, acme.revision, acme.tenant) == ("acme v2", 2, ACME)
        assert store.get_flow("ns", "f", 2) is None
        assert [r.source for r in store.flow_revisions("ns", "f", tenant=ACME)] == ["acme v1", "acme v2"]
        assert [r.source for r in store.list_flows()] == ["main v1"]
        assert [r.source for r in store.list_flows("ns", tenant=ACME)] == ["acme v2"]
        assert store.list_flows(tenant="other") == []
        store.replace_flows([FlowSave("ns", "g", "acme g", False)], [("ns", "f")], at(2), tenant=ACME)
        assert store.get_flow("ns", "f", tenant=ACME) is None
        assert store.get_flow("ns", "f").source == "main v1"  # type: ignore[union-attr]
        assert store.get_flow("ns", "g") is None
        assert store.delete_flow("ns", "g", at(3)) is False  # main has no such flow; acme's stays
        assert store.get_flow("ns", "g", tenant=ACME) is not None

    def test_executions_and_their_searches_stay_in_their_tenant(self, store: SqlStore) -> None:
        mine = execution("ns", "f", state=State.SUCCESS)
        theirs = execution("ns", "f", state=State.SUCCESS, tenant=ACME)
        for e in (mine, theirs):
            store.create_execution(e, ExecutionCreated())
        assert store.get_execution(theirs.id).tenant == ACME  # type: ignore[union-attr]
        assert store.get_execution(theirs.id, tenant=MAIN) is None
        assert store.get_execution(theirs.id, tenant=ACME) == theirs
        assert store.get_execution(mine.id, tenant=ACME) is None
        assert [e.id for e in store.list_executions()] == [mine.id]
        assert [e.id for e in store.list_executions(tenant=ACME)] == [theirs.id]
        found, total = store.search_executions(ExecutionFilter(namespace="ns"))
        assert ([e.id for e in found], total) == ([mine.id], 1)
        found, total = store.search_executions(ExecutionFilter(tenant=ACME))
        assert ([e.id for e in found], total) == ([theirs.id], 1)
        counts = store.count_executions(ExecutionFilter(tenant=ACME), ["flow_id"])
        assert [(c.key, c.count) for c in counts] == [(("f",), 1)]
        assert store.count_executions(ExecutionFilter(tenant="other"), ["flow_id"]) == []

    def test_log_searches_stay_in_their_tenant(self, store: SqlStore) -> None:
        mine, theirs = execution("ns", "f"), execution("ns", "f", tenant=ACME)
        for e in (mine, theirs):
            store.create_execution(e, ExecutionCreated())
        store.append_logs([LogRecord(execution_id=e.id, level="INFO", message=f"line of {e.tenant}", timestamp=NOW)
                           for e in (mine, theirs)])
        for filters, expected in (
            (LogFilter(), ["line of main"]), (LogFilter(namespace="ns"), ["line of main"]),
            (LogFilter(text="line"), ["line of main"]), (LogFilter(tenant=ACME), ["line of acme"]),
            (LogFilter(tenant=ACME, namespace="ns", flow_id="f"), ["line of acme"]), (LogFilter(tenant="x"), []),
        ):
            assert [s.record.message for s in store.search_logs(filters)[0]] == expected, filters
            assert [s.record.message for s in store.logs_after(filters, 0)] == expected, filters
        assert store.delete_logs(LogFilter(tenant=ACME, namespace="ns")) == 1
        assert [s.record.message for s in store.search_logs(LogFilter())[0]] == ["line of main"]

    def test_kv_entries_are_per_tenant(self, store: SqlStore) -> None:
        store.kv_set("ns", "k", "main value", type="STRING", expires_at=None, now=NOW)
        store.kv_set("ns", "k", "acme value", type="STRING", expires_at=None, now=NOW, tenant=ACME)
        assert store.kv_get("ns", "k", NOW).value == "main value"  # type: ignore[union-attr]
        assert store.kv_get("ns", "k", NOW, tenant=ACME).value == "acme value"  # type: ignore[union-attr]
        assert store.kv_get("ns", "k", NOW, tenant="other") is None
        assert store.kv_set("ns", "new", 1, type="NUMBER", expires_at=None, now=NOW, overwrite=False,
                            tenant=ACME) is True
        assert [e.key for e in store.kv_list("ns", NOW)] == ["k"]
        assert [e.key for e in store.kv_list("ns", NOW, tenant=ACME)] == ["k", "new"]
        assert store.kv_delete("ns", "new") is False
        assert store.kv_delete("ns", "k", tenant=ACME) is True
        assert store.kv_get("ns", "k", NOW).value == "main value"  # type: ignore[union-attr]
        assert store.kv_purge("ns", NOW, expired_only=False, tenant=ACME) == 1
        assert [e.key for e in store.kv_list("ns", NOW)] == ["k"]

    def test_bindings_are_per_tenant(self, store: SqlStore) -> None:
        store.create_binding(Binding("b1", "viewer", "USER", "u1", None, NOW))
        store.create_binding(Binding("b2", "admin", "USER", "u1", "ns", NOW, ACME))
        assert [b.id for b in store.list_bindings(["u1"])] == ["b1"]
        assert [(b.id, b.tenant) for b in store.list_bindings(["u1"], tenant=ACME)] == [("b2", ACME)]
        assert store.delete_binding("b2") is False  # not a binding of main
        assert store.delete_binding("b2", tenant=ACME) is True
        assert store.list_bindings(tenant=ACME) == []
