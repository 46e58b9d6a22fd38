"""Contract: apps (sources stored per tenant and id, with what lists read without parsing them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from legato.store.ports import AppRecord, FlowSave
from legato.store.sql import SqlStore

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _app(app_id: str, namespace: str, name: str, at: datetime = NOW, access: str = "PUBLIC") -> AppRecord:
    return AppRecord(app_id, namespace, "flow", name, access, f"id: {app_id}\n", at, at)


class AppContract:
    def test_apps_are_saved_replaced_listed_and_deleted(self, store: SqlStore) -> None:
        first = store.save_app(_app("vacation", "company.hr", "Vacation"))
        store.save_app(_app("access", "company.it", "Access"))
        store.save_app(_app("other", "companyx", "Beyond the prefix"))
        later = NOW + timedelta(minutes=5)
        again = store.save_app(_app("vacation", "company.hr.team", "Time off", later, "PRIVATE"))
        assert (again.created, again.updated, again.display_name, again.access, again.namespace) == (
            first.created, later, "Time off", "PRIVATE", "company.hr.team")
        assert store.get_app("vacation") == again
        assert [a.id for a in store.list_apps()] == ["access", "other", "vacation"]  # by display name
        assert [a.id for a in store.list_apps("company")] == ["access", "vacation"]  # children, never `companyx`
        assert [a.id for a in store.list_apps("company.hr.team")] == ["vacation"]
        assert store.list_apps(tenant="other-tenant") == []
        assert store.get_app("vacation", tenant="other-tenant") is None
        assert store.delete_app("vacation") is True
        assert store.delete_app("vacation") is False
        assert store.get_app("vacation") is None

    def test_apps_are_saved_and_deleted_in_the_transaction_of_a_namespaces_flows(self, store: SqlStore) -> None:
        store.save_app(_app("gone", "team", "Gone"))
        store.replace_flows([FlowSave("team", "flow", "id: flow\nnamespace: team\n", False)], [], NOW,
                            apps=[_app("ask", "team", "Ask")], app_deletions=["gone"])
        assert [a.id for a in store.list_apps("team")] == ["ask"]
        assert [f.id for f in store.list_flows("team")] == ["flow"]
