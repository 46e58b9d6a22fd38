"""Every write of the services leaves an audit entry: who (kind, name, IP, token id), when, what (resource,
id, namespace, tenant) and the change (a unified diff of a flow's source, before/after of other values);
an unchanged deploy leaves none. SQLite here; the store contract covers PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from legato.flows import Flows
from legato.identity.grants import OWNER
from legato.services import audit
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services import triggers as trigger_service
from legato.services.principal import Principal, user
from legato.store import open_store
from legato.store.ports.governance import AuditFilter, AuditRecord
from legato.store.sql import SqlStore

NOW = datetime(2026, 12, 1, tzinfo=UTC)
FLOW = """id: hello
namespace: company.team
triggers:
  - id: every_minute
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * *"
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: MESSAGE
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    yield store
    store.close()


def _entries(store: SqlStore, **filters: str) -> list[AuditRecord]:
    return store.audit_search(AuditFilter(**filters), descending=False)[0]  # type: ignore[arg-type]


def test_flow_writes_carry_a_unified_diff_of_the_source(store: SqlStore) -> None:
    alice = user("alice")
    flow_service.deploy(store, FLOW.replace("MESSAGE", "one"), by=alice, now=NOW)
    flow_service.deploy(store, FLOW.replace("MESSAGE", "two"), by=alice, now=NOW)
    flow_service.deploy(store, FLOW.replace("MESSAGE", "two"), by=alice, now=NOW)  # unchanged: nothing
    flow_service.delete(store, "company.team", "hello", by=alice, now=NOW)
    records = _entries(store, resource="FLOW")
    assert [(r.entry.action, r.entry.resource_id, r.entry.namespace, r.entry.actor, r.entry.tenant)
            for r in records] == [("CREATE", "company.team.hello", "company.team", "alice", "main"),
                                  ("UPDATE", "company.team.hello", "company.team", "alice", "main"),
                                  ("DELETE", "company.team.hello", "company.team", "alice", "main")]
    diff = records[1].entry.details["diff"]  # type: ignore[index]
    assert "-    message: one\n+    message: two\n" in diff
    assert diff.startswith("--- a/company.team/hello.yml\n+++ b/company.team/hello.yml\n")


def test_a_namespace_update_audits_each_flow_it_changes(store: SqlStore) -> None:
    bob = user("bob")
    flow_service.deploy(store, FLOW.replace("MESSAGE", "one"), by=bob, now=NOW)
    other = FLOW.replace("id: hello", "id: other").replace("MESSAGE", "x")
    flow_service.update_namespace(store, "company.team", other, delete=True, by=bob, now=NOW)
    assert [(r.entry.action, r.entry.resource_id) for r in _entries(store, resource="FLOW")] == [
        ("CREATE", "company.team.hello"), ("CREATE", "company.team.other"), ("DELETE", "company.team.hello")]


def test_execution_and_trigger_actions_are_audited_with_ip_and_token(store: SqlStore) -> None:
    carol = Principal("user", "carol", grants=OWNER, ip="10.1.2.3", token_id="tok-42")
    flow_service.deploy(store, FLOW.replace("MESSAGE", "one"), by=carol, now=NOW)
    execution = execution_service.create_execution(store, "company.team", "hello", {}, by=carol, now=NOW,
                                                   labels={"team": "data"})
    execution_service.set_labels(store, execution.id, {"env": "prod"}, by=carol)
    execution_service.kill(store, execution.id, by=carol)
    trigger_service.set_trigger_enabled(store, Flows(), "company.team", "hello", "every_minute", False, by=carol,
                                        now=NOW)
    execution_service.delete(store, execution.id, by=carol)
    records = _entries(store, resource="EXECUTION")
    assert [r.entry.action for r in records] == ["CREATE", "UPDATE", "KILL", "DELETE"]
    assert {(r.entry.ip, r.entry.token_id, r.entry.resource_id) for r in records} == {("10.1.2.3", "tok-42", execution.id)}
    correlation = {"system.correlationId": execution.id}  # every execution carries it, as in Kestra
    assert records[0].entry.details == {"flowId": "hello", "flowRevision": 1, "labels": {"team": "data", **correlation}}
    assert records[1].entry.details == {"before": {"labels": {"team": "data", **correlation}},
                                        "after": {"labels": {"team": "data", **correlation, "env": "prod"}}}
    [toggle] = _entries(store, resource="TRIGGER")
    assert (toggle.entry.action, toggle.entry.resource_id, toggle.entry.details) == (
        "UPDATE", "company.team.hello.every_minute", {"before": {"disabled": None}, "after": {"disabled": True}})


def test_the_request_address_is_used_when_the_principal_carries_none(store: SqlStore) -> None:
    token = audit.ORIGIN.set("192.0.2.7")
    try:
        flow_service.deploy(store, FLOW.replace("MESSAGE", "one"), by=user("dave"), now=NOW)
    finally:
        audit.ORIGIN.reset(token)
    [record] = _entries(store)
    assert (record.entry.ip, record.entry.token_id, record.entry.actor_kind) == ("192.0.2.7", None, "user")


def test_a_refused_write_leaves_no_entry(store: SqlStore) -> None:
    with pytest.raises(LookupError):
        flow_service.delete(store, "company.team", "missing", by=user("eve"), now=NOW)
    assert _entries(store) == []


def test_bulk_disable_import_and_delete_are_audited_per_flow(store: SqlStore) -> None:
    frank = user("frank")
    flow_service.import_flows(store, [("a.yml", FLOW.replace("MESSAGE", "one")),
                                      ("b.yml", FLOW.replace("id: hello", "id: other").replace("MESSAGE", "x"))],
                              by=frank, now=NOW)
    flow_service.set_disabled(store, [("company.team", "hello")], True, by=frank, now=NOW)
    flow_service.delete_many(store, [("company.team", "hello"), ("company.team", "other")], by=frank, now=NOW)
    records = _entries(store, resource="FLOW")
    assert [(r.entry.action, r.entry.resource_id) for r in records] == [
        ("CREATE", "company.team.hello"), ("CREATE", "company.team.other"), ("UPDATE", "company.team.hello"),
        ("DELETE", "company.team.hello"), ("DELETE", "company.team.other")]
    assert "+disabled: true" in records[2].entry.details["diff"]  # type: ignore[index]
