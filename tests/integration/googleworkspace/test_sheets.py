"""Kestra's Google Sheets tasks against the Sheets/Drive/OAuth test double (double.py): google-auth signs the
service account's JWT and fetches a token from the double, then the tasks call the REST API over HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.googleworkspace.double import SheetsDouble, service_account
from tests.integration.objectstore_support import Tasks
from tests.unit.plugins.conftest import Harness

from legato.model.task import TRIGGERS
from legato.plugins.context import TaskFailed
from legato.plugins.googleworkspace.connection import ENDPOINT
from legato.plugins.triggers.base import TriggerContext
from legato.storage import LocalStorage, ion

S = "io.kestra.plugin.googleworkspace.sheets"


@pytest.fixture
def sheets(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SheetsDouble, str]]:
    double = SheetsDouble()
    with double.serve() as url:
        key, double.public_key = service_account(f"{url}/token")
        monkeypatch.setenv(ENDPOINT, url)
        yield double, key


@pytest.fixture
def tasks(harness: Harness, tmp_path: Path) -> Tasks:
    return Tasks(harness, LocalStorage(tmp_path / "storage"))


def _task(key: str, kind: str, **props: Any) -> dict[str, Any]:
    return {"id": "t", "type": f"{S}.{kind}", "serviceAccount": key, **props}


ORDERS = [["id", "customer", "total"], [1, "ada", 120.5], [2, "bob"], [3, "cyd", 300]]


def test_read_every_sheet_or_a_range(tasks: Tasks, sheets: tuple[SheetsDouble, str]) -> None:
    double, key = sheets
    sid = double.add("Shop", {"Orders": ORDERS, "Second One": [["a", "b"], ["x", "y"]]})
    fetched = tasks.run(_task(key, "Read", spreadsheetId=sid, fetch=True))
    assert fetched["size"] == 6
    assert fetched["rows"]["Orders"] == [{"id": 1, "customer": "ada", "total": 120.5}, {"id": 2, "customer": "bob", "total": None},
                                         {"id": 3, "customer": "cyd", "total": 300}]
    assert fetched["rows"]["Second One"] == [{"a": "x", "b": "y"}]
    assert double.tokens and all(s == ["https://www.googleapis.com/auth/spreadsheets"] for s in double.tokens.values())
    assert double.requests[-1].query["ranges"] == ["Orders!R1C1:R1000C26", "Second One!R1C1:R1000C26"]

    stored = tasks.run(_task(key, "Read", spreadsheetId=sid, selectedSheetsTitle=["Orders"], header=False,
                             valueRender="FORMATTED_VALUE"))
    assert set(stored["uris"]) == {"Orders"} and stored["size"] == 4
    assert ion.loads(tasks.read(stored["uris"]["Orders"]).decode())[1] == ["1", "ada", "120.5"]

    ranged = tasks.run(_task(key, "ReadRange", spreadsheetId=sid, range="Second One!A1:B", fetch=True))
    assert ranged == {"rows": [{"a": "x", "b": "y"}], "size": 1}
    assert double.requests[-1].path.endswith("/values/Second%20One!A1:B")
    first = tasks.run(_task(key, "ReadRange", spreadsheetId=sid))
    assert first["size"] == 3 and len(ion.loads(tasks.read(first["uri"]).decode())) == 3


def test_create_load_and_delete(tasks: Tasks, sheets: tuple[SheetsDouble, str]) -> None:
    double, key = sheets
    created = tasks.run(_task(key, "CreateSpreadsheet", title="Weekly report"))
    sid = created["spreadsheetId"]
    assert created["spreadsheetUrl"] == f"https://docs.google.com/spreadsheets/d/{sid}/edit"
    assert double.spreadsheets[sid]["title"] == "Weekly report"

    rows = tasks.put("orders.ion", "\n".join(ion.dumps(r) for r in [{"id": 1, "name": "ada"}, {"id": 2, "name": "bob"}]).encode())
    loaded = tasks.run(_task(key, "Load", spreadsheetId=sid, **{"from": rows}, header=True))
    assert loaded == {"range": "Sheet1!A1:B3", "rows": 3, "columns": 2}
    assert double.spreadsheets[sid]["sheets"][0]["rows"] == [["id", "name"], [1, "ada"], [2, "bob"]]

    csv_file = tasks.put("more.csv", b"id;name\n3;cyd\n4;\"dan; jr\"\n")
    appended = tasks.run(_task(key, "Load", spreadsheetId=sid, **{"from": csv_file}, insertType="APPEND",
                               csvOptions={"fieldDelimiter": ";", "skipLeadingRows": 1}))
    assert appended == {"range": "Sheet1!A4:B5", "rows": 2, "columns": 2}
    assert double.spreadsheets[sid]["sheets"][0]["rows"][-1] == ["4", "dan; jr"]

    json_file = tasks.put("one.json", b'[{"id": 9, "name": "zed"}]')
    tasks.run(_task(key, "Load", spreadsheetId=sid, **{"from": json_file}, insertType="OVERWRITE", range="Sheet1!A1:B"))
    assert double.read(sid, "Sheet1", "UNFORMATTED_VALUE")["values"] == [[9, "zed"]]
    with pytest.raises(TaskFailed, match="Not supported format"):
        tasks.run(_task(key, "Load", spreadsheetId=sid, **{"from": tasks.put("x.bin", b"?")}))

    assert tasks.run(_task(key, "DeleteSpreadsheet", spreadsheetId=sid)) == {"spreadsheetId": sid}
    assert sid not in double.spreadsheets
    assert double.requests[-1].method == "DELETE" and double.requests[-1].query == {"supportsAllDrives": ["true"]}
    with pytest.raises(TaskFailed, match=f"Spreadsheet not found: {sid}"):
        tasks.run(_task(key, "DeleteSpreadsheet", spreadsheetId=sid))


def test_credentials_errors(tasks: Tasks, sheets: tuple[SheetsDouble, str]) -> None:
    double, key = sheets
    with pytest.raises(TaskFailed, match="must be a service account key's JSON text"):
        tasks.run(_task("{not json", "CreateSpreadsheet", title="x"))
    other, _ = service_account(f"{double.base_url}/token")  # signed by a key the double does not know
    with pytest.raises(TaskFailed, match=r"Google credentials: .*invalid_grant"):
        tasks.run(_task(other, "CreateSpreadsheet", title="x"))
    with pytest.raises(TaskFailed, match=r"Google Sheets: GET .* answered HTTP 404: .*NOT_FOUND"):
        tasks.run(_task(key, "ReadRange", spreadsheetId="missing", range="A1:B2"))


def test_sheet_modified_trigger_fires_on_new_revisions(sheets: tuple[SheetsDouble, str]) -> None:
    double, key = sheets
    sid = double.add("Shop", {"Orders": ORDERS})
    cls = TRIGGERS.lookup(f"{S}.SheetModifiedTrigger")
    assert cls is not None
    state: dict[str, Any] = {}

    def poll(**props: Any) -> Any:
        trigger = cls.model_validate({"id": "watch", "type": f"{S}.SheetModifiedTrigger", "spreadsheetId": sid,
                                      "serviceAccount": key, **props})
        ctx = TriggerContext(namespace="company.team", flow_id="f", trigger_id="watch", render=lambda v: v,
                             state=state, log=logging.getLogger("test"))
        fired = asyncio.run(trigger.source().poll(ctx))
        if fired is not None and fired.state is not None:
            state.clear()
            state.update(fired.state)
        return fired

    assert poll() is None  # no revision yet
    double.revisions[sid] = [{"id": "1", "modifiedTime": "2026-12-01T10:00:00.000Z", "lastModifyingUser": {"displayName": "Ada"}}]
    first = poll(sheetName="Orders", includeDetails=True, on="CREATE")
    assert first.variables["count"] == 1
    assert first.variables["modifications"] == [{
        "revisionId": "1", "modifiedTime": "2026-12-01T10:00:00Z", "spreadsheetTitle": "Shop", "spreadsheetId": sid,
        "lastModifyingUser": "Ada", "sheetName": "Orders",
        "changeDetails": {"affectedRange": "Orders!A1:C4", "rowCount": 4, "columnCount": 3, "hasData": True}}]
    assert any(t == ["https://www.googleapis.com/auth/spreadsheets.readonly",
                     "https://www.googleapis.com/auth/drive.metadata.readonly"] for t in double.tokens.values())
    assert poll(on="CREATE").variables == {"modifications": [], "count": 0}  # seen: an execution with count 0, as Kestra
    double.revisions[sid].append({"id": "2", "modifiedTime": "2026-12-01T11:00:00Z", "lastModifyingUser": {"displayName": "Bob"}})
    second = poll()
    assert [m["revisionId"] for m in second.variables["modifications"]] == ["2"]
    double.revisions[sid].append({"id": "3", "modifiedTime": "2026-12-01T12:00:00Z"})
    assert poll(sheetName="Missing").variables["count"] == 0  # a new revision, but not of that sheet
    assert poll(stateTtl="PT1H").state == {"revisions": {}}  # both revisions are older than an hour
