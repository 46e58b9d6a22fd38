"""log.LogShipper with the file exporter, against a real SQLite store: what is shipped (level, namespaces under the
flow's, the lookback window), once only across runs (the offset in KV), deletion of exactly what was shipped, and
the refusals (another team's namespace, a KV key holding something else, duplicate exporter ids)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError
from tests.integration.logshipping.conftest import Harness, write_logs

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from legato.store.ports.governance import AuditEntry

SHIPPER = """\
id: ship
type: io.kestra.plugin.ee.core.log.LogShipper
logLevelFilter: INFO
lookbackPeriod: PT1H
{extra}logExporters:
  - id: file
    type: io.kestra.plugin.ee.core.log.FileLogExporter
    format: JSON
    maxLinesPerFile: 2
"""


def shipped(storage: LocalStorage, out: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(line) for uri in out["outputs"]["file"]["uris"] for line in storage.get(uri).decode().splitlines()]


def run(harness: Harness, storage: LocalStorage, extra: str = "") -> dict[str, Any]:
    shipper = harness.execution(namespace="company", flow_id="shipper")
    return harness.run(SHIPPER.format(extra=extra), harness.context(storage=storage, execution=shipper, flow_id="shipper"))


def test_ships_the_lines_under_its_namespace_once_then_only_new_ones(harness: Harness, storage: LocalStorage) -> None:
    team, sub, other = (harness.execution(namespace=ns) for ns in ("company.team", "company.team.sub", "other"))
    write_logs(harness, team, ("INFO", "old"), start=-7200)  # before the first run's lookback of one hour
    write_logs(harness, team, ("INFO", "team a"), ("DEBUG", "team detail"), ("ERROR", "team b"))
    write_logs(harness, sub, ("WARN", "sub a"))
    write_logs(harness, other, ("ERROR", "other team's"))
    harness.clock.advance(minutes=1)

    first = run(harness, storage)
    lines = shipped(storage, first)
    assert [(e["namespace"], e["level"], e["message"]) for e in lines] == [
        ("company.team", "INFO", "team a"), ("company.team", "ERROR", "team b"), ("company.team.sub", "WARN", "sub a")]
    assert lines[0]["flowId"] == "orders" and lines[0]["executionId"] == team.id and lines[0]["taskId"] == "t"
    assert first["size"] == 3 and len(first["outputs"]["file"]["uris"]) == 2  # at most 2 lines a file
    assert all(u.endswith(".json") for u in first["outputs"]["file"]["uris"])
    state = harness.store.kv_get("company", "LogShipper-state", harness.clock())
    assert state is not None and state.value["lastLogDate"] == first["lastLogDate"]

    harness.clock.advance(minutes=1)
    write_logs(harness, team, ("INFO", "team c"))
    harness.clock.advance(minutes=1)
    second = run(harness, storage)
    # the new line, and the first run's own summary (its flow is in `company`), nothing shipped twice
    assert [e["message"] for e in shipped(storage, second)] == ["shipped 3 entries to file", "team c"]


def test_delete_removes_exactly_what_was_shipped(harness: Harness, storage: LocalStorage) -> None:
    team, other = harness.execution(namespace="company.team"), harness.execution(namespace="other")
    write_logs(harness, team, ("INFO", "kept before the window"), start=-7200)
    write_logs(harness, team, ("INFO", "a"), ("DEBUG", "below the level"), ("WARN", "b"))
    write_logs(harness, other, ("ERROR", "another team's"))
    harness.clock.advance(minutes=1)
    out = run(harness, storage, "delete: true\nnamespace: company.team\n")
    assert out["size"] == 2
    assert [r.message for r in harness.store.logs(team.id)] == ["kept before the window", "below the level"]
    assert [r.message for r in harness.store.logs(other.id)] == ["another team's"]


def test_refusals(harness: Harness, storage: LocalStorage) -> None:
    with pytest.raises(TaskFailed, match="'other' is outside this flow's namespace 'company'"):
        run(harness, storage, "namespace: other\n")
    harness.store.kv_set("company", "mine", "x", type="STRING", expires_at=None, now=harness.clock())
    with pytest.raises(TaskFailed, match="the KV entry 'mine' does not hold a log shipper's offset"):
        run(harness, storage, "offsetKey: mine\n")
    twice = SHIPPER.format(extra="") + "  - id: file\n    type: io.kestra.plugin.ee.core.log.FileLogExporter\n"
    with pytest.raises(ValidationError, match="exporter ids must be unique: file used twice"):
        harness.task(twice)
    unknown = SHIPPER.format(extra="").replace("core.log.FileLogExporter", "core.log.FileLogExporterr")
    with pytest.raises(ValidationError, match=r"unknown log exporter type 'io\.kestra\.plugin\.ee\.core\.log\.FileLogExporterr'"):
        harness.task(unknown)


def test_a_flow_of_the_system_namespace_ships_every_namespace(harness: Harness, storage: LocalStorage) -> None:
    team, other = harness.execution(namespace="company.team"), harness.execution(namespace="other")
    write_logs(harness, team, ("INFO", "team"))
    write_logs(harness, other, ("INFO", "other"))
    harness.clock.advance(minutes=1)
    system = harness.execution(namespace="system", flow_id="shipper")
    out = harness.run(SHIPPER.format(extra=""), harness.context(storage=storage, execution=system, flow_id="shipper"))
    assert sorted(e["message"] for e in shipped(storage, out)) == ["other", "team"]
    named = harness.run(SHIPPER.format(extra="offsetKey: other_only\nnamespace: other\n"),
                        harness.context(storage=storage, execution=system, flow_id="shipper"))
    assert [e["message"] for e in shipped(storage, named)] == ["other"]


AUDIT = """\
id: audit
type: io.kestra.plugin.ee.core.log.AuditLogShipper
resources: [FLOW]
batchSize: 2
offsetKey: audit_offset
logExporters:
  - id: file
    type: io.kestra.plugin.ee.core.log.FileLogExporter
"""


def test_audit_entries_of_the_resources_asked_from_the_system_namespace_only(harness: Harness,
                                                                            storage: LocalStorage) -> None:
    at = harness.clock()
    harness.store.audit_append([
        AuditEntry(at=at, action="CREATE", resource="FLOW", resource_id="company.team.orders", actor_kind="user",
                   actor="ann", namespace="company.team", ip="10.0.0.7", details={"after": "id: orders"}),
        AuditEntry(at=at, action="READ", resource="SECRET", resource_id="company.team/DB", actor_kind="user", actor="bob"),
        AuditEntry(at=at, action="READ", resource="SECRET", resource_id="company.team/DB", actor_kind="user", actor="bob"),
        AuditEntry(at=at, action="DELETE", resource="FLOW", resource_id="company.team.old", actor_kind="user", actor="ann"),
    ])
    harness.clock.advance(minutes=1)
    team = harness.execution(namespace="company.team", flow_id="auditor")
    with pytest.raises(TaskFailed, match="the audit log is shipped by a flow of the system namespace 'system' only"):
        harness.run(AUDIT, harness.context(storage=storage, execution=team, flow_id="auditor"))
    system = harness.execution(namespace="system", flow_id="auditor")
    out = harness.run(AUDIT, harness.context(storage=storage, execution=system, flow_id="auditor"))
    lines = [json.loads(line) for line in storage.get(out["outputs"]["file"]["uris"][0]).decode().splitlines()]
    assert [(e["type"], e["resourceId"], e["userId"]) for e in lines] == [
        ("CREATE", "company.team.orders", "ann"), ("DELETE", "company.team.old", "ann")]  # a page of secrets in between
    assert lines[0]["ipAddress"] == "10.0.0.7" and lines[0]["details"] == {"after": "id: orders"}
    assert out["size"] == 2
    again = harness.run(AUDIT, harness.context(storage=storage, execution=system, flow_id="auditor"))
    assert again["size"] == 0 and again["outputs"]["file"]["uris"] == []
    with pytest.raises(ValidationError, match="delete"):
        harness.task(AUDIT + "delete: true\n")
