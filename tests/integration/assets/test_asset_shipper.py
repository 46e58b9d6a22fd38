"""assets.AssetShipper with the file exporter, against a real SQLite store and the worker's context: the uses of
assets by flows under the shipper's namespace since the lookback, each with its asset as it is now, shipped once
across runs (the offset in KV); the filters by flow, task, asset namespace and type; the refusals."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from tests.integration.assets.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from legato.store.ports import AssetRecord, AssetUsage

SHIPPER = """\
id: ship
type: io.kestra.plugin.ee.assets.AssetShipper
lookbackPeriod: PT1H
{extra}assetExporters:
  - id: file
    type: io.kestra.plugin.ee.assets.FileAssetExporter
    format: JSON
    maxLinesPerFile: 2
"""


def record(harness: Harness, namespace: str, run: str, reads: list[str], writes: list[tuple[str, str]],
           ago: float = 0, flow_id: str = "pipeline") -> None:
    at = harness.clock() - timedelta(seconds=ago)
    outputs = [AssetRecord(a, "company.data", t, None, None, {"layer": "x"}, at, at) for a, t in writes]
    uses = [AssetUsage(a, "IN", f"ex-{run}", namespace, flow_id, "task", run, at) for a in reads]
    uses += [AssetUsage(a, "OUT", f"ex-{run}", namespace, flow_id, "task", run, at) for a, _ in writes]
    harness.store.record_asset_usages([AssetRecord(a, None, None, None, None, {}, at, at) for a in reads], outputs,
                                      uses)


def shipped(storage: LocalStorage, out: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(line) for uri in out["outputs"]["file"]["uris"] for line in storage.get(uri).decode().splitlines()]


def run(harness: Harness, storage: LocalStorage, extra: str = "", namespace: str = "company") -> dict[str, Any]:
    shipper = harness.execution(namespace=namespace, flow_id="shipper")
    return harness.run(SHIPPER.format(extra=extra), harness.context(storage=storage, execution=shipper, flow_id="shipper"))


def test_ships_the_uses_under_its_namespace_once_then_only_new_ones(harness: Harness, storage: LocalStorage) -> None:
    record(harness, "company.team", "r0", [], [("ancient", "Table")], ago=7200)  # before the lookback
    record(harness, "company.team", "r1", ["raw"], [("trips", "io.kestra.plugin.ee.assets.Table")])
    record(harness, "other", "r2", ["trips"], [("theirs", "Table")])
    harness.clock.advance(minutes=1)
    first = run(harness, storage)
    lines = shipped(storage, first)
    assert [(e["assetId"], e["direction"], e["taskRunId"]) for e in lines] == [("raw", "IN", "r1"), ("trips", "OUT", "r1")]
    assert lines[1]["asset"] == {"id": "trips", "namespace": "company.data", "type": "io.kestra.plugin.ee.assets.Table",
                                 "metadata": {"layer": "x"}}
    assert (lines[1]["executionId"], lines[1]["flowId"], lines[1]["namespace"]) == ("ex-r1", "pipeline", "company.team")
    assert first["size"] == 2 and len(first["outputs"]["file"]["uris"]) == 1
    state = harness.store.kv_get("company", "AssetShipper-state", harness.clock())
    assert state is not None and state.value["lastAssetDate"] == first["lastAssetDate"]

    record(harness, "company.team.sub", "r3", ["trips"], [("avg", "Table")])
    harness.clock.advance(minutes=1)
    second = run(harness, storage)
    assert [(e["assetId"], e["taskRunId"]) for e in shipped(storage, second)] == [("trips", "r3"), ("avg", "r3")]
    assert run(harness, storage)["size"] == 0


def test_filters_by_flow_task_asset_namespace_and_type(harness: Harness, storage: LocalStorage) -> None:
    record(harness, "company", "r1", ["raw"], [("trips", "Table"), ("report", "File")])
    record(harness, "company", "r2", [], [("other_flow", "Table")], flow_id="elsewhere")
    harness.clock.advance(minutes=1)
    typed = run(harness, storage, "offsetKey: typed\nassetTypes: [Table]\nflowId: pipeline\n")
    assert [e["assetId"] for e in shipped(storage, typed)] == ["trips"]
    by_namespace = run(harness, storage, "offsetKey: by_ns\nassetNamespace: company\n")
    assert [e["assetId"] for e in shipped(storage, by_namespace)] == ["trips", "report", "other_flow"]  # raw has none
    none = run(harness, storage, "offsetKey: none\ntaskId: another\n")
    assert none["size"] == 0 and none["outputs"]["file"]["uris"] == []


def test_the_system_namespace_ships_every_namespace_and_refusals(harness: Harness, storage: LocalStorage) -> None:
    record(harness, "company", "r1", [], [("a", "Table")])
    record(harness, "other", "r2", [], [("b", "Table")])
    harness.clock.advance(minutes=1)
    assert sorted(e["assetId"] for e in shipped(storage, run(harness, storage, namespace="system"))) == ["a", "b"]
    with pytest.raises(TaskFailed, match="'other' is outside this flow's namespace 'company'"):
        run(harness, storage, "flowNamespace: other\n")
    harness.store.kv_set("company", "mine", "x", type="STRING", expires_at=None, now=harness.clock())
    with pytest.raises(TaskFailed, match="the KV entry 'mine' does not hold an asset shipper's offset"):
        run(harness, storage, "offsetKey: mine\n")
    twice = SHIPPER.format(extra="") + "  - id: file\n    type: io.kestra.plugin.ee.assets.FileAssetExporter\n"
    with pytest.raises(ValidationError, match="exporter ids must be unique: file used twice"):
        harness.task(twice)
    with pytest.raises(ValidationError, match="unknown asset exporter type"):
        harness.task(SHIPPER.format(extra="").replace("FileAssetExporter", "OpenLineageAssetExporter"))
    with pytest.raises(ValidationError, match="delete"):
        harness.task(SHIPPER.format(extra="delete: true\n"))
