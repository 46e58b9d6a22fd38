"""What each tenant keeps of its own beside flows and executions, through the API on SQLite and PostgreSQL:
namespace settings (description, variables, plugin defaults) stored in the tenant's storage and applied to the
flows of that tenant only, flow test suites with their runs and results, and dashboards with the data their charts
read. The same namespace in `main` and another tenant has two independent settings documents; a flow sees
`{{ namespace.x }}` and gets plugin defaults from its own tenant's; a suite tests its own tenant's flow; a chart
counts its own tenant's executions and flows, from the daily roll-up as from raw rows."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert

from legato.model.execution import Execution
from legato.model.ids import new_id
from legato.model.state import State
from legato.store.schema import executions

YAML = {"Content-Type": "application/x-yaml"}
REGIONAL = """id: regional
namespace: {ns}
tasks:
  - id: where
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ namespace.region }}}}"
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hello
"""


def _tenant(client: httpx.Client) -> str:
    tenant = f"acme{secrets.token_hex(3)}"
    assert client.post("/api/v1/tenants", json={"id": tenant, "name": "Acme"}).status_code == 200
    return tenant


def _run(client: httpx.Client, tenant: str, ns: str, flow_id: str) -> dict[str, Any]:
    reply = client.post(f"/api/v1/{tenant}/executions/{ns}/{flow_id}", params={"wait": True})
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    assert body["state"]["current"] == "SUCCESS", body
    return body


def _settings(region: str, level: str) -> dict[str, Any]:
    return {"description": f"{region} team", "variables": {"region": region},
            "pluginDefaults": [{"type": "io.kestra.plugin.core.log.Log", "values": {"level": level}}]}


def test_namespace_settings_belong_to_their_tenant(client: httpx.Client, server: Any, ns: str) -> None:
    acme = _tenant(client)
    main, theirs = "/api/v1/main", f"/api/v1/{acme}"
    assert client.put(f"{main}/namespaces/{ns}", json=_settings("main-region", "WARN")).status_code == 200
    assert client.get(f"{theirs}/namespaces/{ns}").json() == {
        "id": ns, "description": None, "variables": {}, "pluginDefaults": []}
    saved = client.put(f"{theirs}/namespaces/{ns}", json=_settings("acme-region", "ERROR"))
    assert saved.status_code == 200, saved.text
    assert client.get(f"{main}/namespaces/{ns}").json()["variables"] == {"region": "main-region"}
    assert client.get(f"{theirs}/namespaces/{ns}").json()["variables"] == {"region": "acme-region"}
    # inheritance stays inside the tenant
    assert client.get(f"{theirs}/namespaces/{ns}.child/inherited-variables").json() == {"region": "acme-region"}
    assert client.get(f"{main}/namespaces/{ns}.child/inherited-plugindefaults").json()[0]["values"] == {
        "level": "WARN"}

    for tenant, region, level in (("main", "main-region", "WARN"), (acme, "acme-region", "ERROR")):
        assert client.post(f"/api/v1/{tenant}/flows", content=REGIONAL.format(ns=ns), headers=YAML).status_code == 200
        ended = _run(client, tenant, ns, "regional")
        assert ended["taskRunList"][0]["outputs"]["value"] == region
        lines = client.get(f"/api/v1/{tenant}/logs/{ended['id']}").json()
        assert next(line["level"] for line in lines if line["message"] == "hello") == level

    # the documents live apart in storage: acme's under the tenant's prefix of the backend
    stored = {p.relative_to(server.data_dir).as_posix(): p.read_text() for p in server.data_dir.rglob("_namespace.json")
              if ns.replace(".", "/") in p.as_posix() and p.parent.name == ns.split(".")[-1]}
    assert len(stored) == 2, stored
    acme_path = next(path for path, text in stored.items() if "acme-region" in text)
    assert f"_tenants/{acme}/" in acme_path
    assert "_tenants/" not in next(path for path, text in stored.items() if "main-region" in text)


GREET = """id: greet
namespace: {ns}
tasks:
  - id: hello
    type: io.kestra.plugin.core.debug.Return
    format: "hello from {{{{ flow.tenantId }}}}"
"""
SUITE = """id: greet_suite
namespace: {ns}
flowId: greet
testCases:
  - id: says_hello
    type: io.kestra.core.tests.flow.UnitTest
    assertions:
      - value: "{{{{ outputs.hello.value }}}}"
        equalTo: "hello from {tenant}"
"""


def test_test_suites_belong_to_their_tenant(client: httpx.Client, ns: str) -> None:
    acme = _tenant(client)
    theirs, main = f"/api/v1/{acme}/tests", "/api/v1/main/tests"
    assert client.post(f"/api/v1/{acme}/flows", content=GREET.format(ns=ns), headers=YAML).status_code == 200
    created = client.post(theirs, content=SUITE.format(ns=ns, tenant=acme), headers=YAML)
    assert created.status_code == 200, created.text
    # main has neither the suite nor the flow: the same suite id is free there, and it cannot find acme's flow
    assert client.get(f"{main}/{ns}/greet_suite").status_code == 404
    assert client.get(f"{main}/search", params={"namespace": ns}).json()["total"] == 0
    assert client.post(f"{main}/{ns}/greet_suite/run").status_code == 404
    assert client.post(main, content=SUITE.format(ns=ns, tenant="main"), headers=YAML).status_code == 200
    failed = client.post(f"{main}/{ns}/greet_suite/run", timeout=120).json()
    assert failed["state"] == "ERROR" and "not found" in str(failed["results"][0]["errors"])

    run = client.post(f"{theirs}/{ns}/greet_suite/run", timeout=120)
    assert run.status_code == 200, run.text
    result = run.json()
    assert result["state"] == "SUCCESS", result
    case = result["results"][0]
    assert case["url"] == f"/ui/{acme}/executions/{ns}/greet/{case['executionId']}"
    assert client.get(f"/api/v1/{acme}/executions/{case['executionId']}").status_code == 200
    assert client.get(f"/api/v1/main/executions/{case['executionId']}").status_code == 404
    # results and histories stay in their tenant
    assert client.get(f"{theirs}/results/{result['id']}").json()["id"] == result["id"]
    assert client.get(f"{main}/results/{result['id']}").status_code == 404
    history = client.get(f"{main}/results/search", params={"namespace": ns, "testSuiteId": "greet_suite"}).json()
    assert [r["id"] for r in history["results"]] == [failed["id"]]
    last = client.post(f"{theirs}/results/search/last", json={"testSuiteIds": [{"namespace": ns, "id": "greet_suite"}]})
    assert [r["id"] for r in last.json()] == [result["id"]]
    # deleting main's suite leaves acme's
    assert client.delete(f"{main}/{ns}/greet_suite").status_code == 204
    assert client.get(f"{theirs}/{ns}/greet_suite").status_code == 200


BASE = datetime(2025, 3, 1, 12, tzinfo=UTC)
RANGE = {"startDate": (BASE - timedelta(days=7)).isoformat(), "endDate": (BASE + timedelta(days=1)).isoformat()}
BOARD = """id: ops
title: Ops of {tenant}
charts:
  - id: by_state
    type: io.kestra.plugin.core.dashboard.chart.Table
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        state: {{field: STATE}}
        total: {{agg: COUNT}}
      where: [{{field: NAMESPACE, type: EQUAL_TO, value: {ns}}}]
"""


def _seed(server: Any, ns: str, tenant: str, states: list[State]) -> None:
    """Executions of `ns` in `tenant`, a day before BASE (so a week's chart reads them from the daily roll-up)."""
    rows = []
    for n, state in enumerate(states):
        created = BASE - timedelta(days=1, minutes=n)
        e = Execution(id=new_id(), namespace=ns, flow_id="f", flow_revision=1, state=state, created=created,
                      tenant=tenant)
        rows.append({"id": e.id, "namespace": ns, "flow_id": "f", "flow_revision": 1, "state": state.value,
                     "parent_id": None, "created": created, "ended": created + timedelta(seconds=n + 1), "data": e,
                     "transient": False, "tenant": tenant})
    with server.store.database.engine.begin() as conn:
        conn.execute(insert(executions), rows)


def _rows(client: httpx.Client, tenant: str, chart: str) -> list[dict[str, Any]]:
    reply = client.post(f"/api/v1/{tenant}/dashboards/charts/preview", json={**RANGE, "chart": chart})
    assert reply.status_code == 200, reply.text
    return list(reply.json()["results"])


def test_dashboards_and_their_charts_belong_to_their_tenant(client: httpx.Client, server: Any, ns: str) -> None:
    acme = _tenant(client)
    _seed(server, ns, "main", [State.SUCCESS, State.SUCCESS, State.FAILED])
    _seed(server, ns, acme, [State.SUCCESS])
    created = client.post(f"/api/v1/{acme}/dashboards", content=BOARD.format(tenant=acme, ns=ns), headers=YAML)
    assert created.status_code == 200, created.text
    assert client.get("/api/v1/main/dashboards/ops").status_code == 404
    assert [d["id"] for d in client.get(f"/api/v1/{acme}/dashboards").json()["results"]] == ["default", "ops"]
    # the same chart counts each tenant's executions only, from the roll-up (grouped) and from raw rows (listed)
    rolled = client.post(f"/api/v1/{acme}/dashboards/ops/charts/by_state", json=RANGE).json()["results"]
    assert rolled == [{"state": "SUCCESS", "total": 1}]
    grouped = BOARD.format(tenant="", ns=ns).split("charts:\n  - ", 1)[1].replace("\n    ", "\n")
    assert _rows(client, "main", grouped) == [{"state": "FAILED", "total": 1}, {"state": "SUCCESS", "total": 2}]
    listed = grouped.replace("state: {field: STATE}\n    total: {agg: COUNT}", "id: {field: ID}")
    assert len(_rows(client, acme, listed)) == 1 and len(_rows(client, "main", listed)) == 3
    # flows and triggers of another tenant are not counted either
    assert client.post(f"/api/v1/{acme}/flows", content=REGIONAL.format(ns=ns), headers=YAML).status_code == 200
    flows = f"""id: flows
type: io.kestra.plugin.core.dashboard.chart.Table
data:
  type: io.kestra.plugin.core.dashboard.data.Flows
  columns:
    id: {{field: ID}}
  where: [{{field: NAMESPACE, type: EQUAL_TO, value: {ns}}}]
"""
    assert _rows(client, acme, flows) == [{"id": "regional"}] and _rows(client, "main", flows) == []


def test_another_tenants_suites_and_dashboards_answer_404(client: httpx.Client, ns: str) -> None:
    acme = _tenant(client)
    main, theirs = "/api/v1/main", f"/api/v1/{acme}"
    assert client.post(f"{main}/flows", content=GREET.format(ns=ns), headers=YAML).status_code == 200
    suite = SUITE.format(ns=ns, tenant="main")
    assert client.post(f"{main}/tests", content=suite, headers=YAML).status_code == 200
    ran = client.post(f"{main}/tests/{ns}/greet_suite/run", timeout=120).json()
    assert ran["state"] == "SUCCESS", ran
    board = BOARD.format(tenant="main", ns=ns).replace("id: ops", "id: main_ops")
    assert client.post(f"{main}/dashboards", content=board, headers=YAML).status_code == 200

    probes = {
        "suite": client.get(f"{theirs}/tests/{ns}/greet_suite"),
        "suite update": client.put(f"{theirs}/tests/{ns}/greet_suite", content=suite, headers=YAML),
        "suite delete": client.delete(f"{theirs}/tests/{ns}/greet_suite"),
        "suite run": client.post(f"{theirs}/tests/{ns}/greet_suite/run"),
        "result": client.get(f"{theirs}/tests/results/{ran['id']}"),
        "dashboard": client.get(f"{theirs}/dashboards/main_ops"),
        "dashboard update": client.put(f"{theirs}/dashboards/main_ops", content=board, headers=YAML),
        "dashboard delete": client.delete(f"{theirs}/dashboards/main_ops"),
        "chart": client.post(f"{theirs}/dashboards/main_ops/charts/by_state", json=RANGE),
        "csv": client.post(f"{theirs}/dashboards/main_ops/charts/by_state/export/to-csv", json=RANGE),
    }
    assert {name: reply.status_code for name, reply in probes.items()} == dict.fromkeys(probes, 404)
    for reply in probes.values():
        assert "hello from main" not in reply.text and "Ops of main" not in reply.text
    found = client.get(f"{theirs}/tests/results/search", params={"namespace": ns, "testSuiteId": "greet_suite"})
    assert found.json()["total"] == 0
    last = client.post(f"{theirs}/tests/results/search/last", json={"testSuiteIds": [{"namespace": ns, "id": "greet_suite"}]})
    assert last.json() == []
    assert client.post(f"{theirs}/tests/run", json={"namespace": ns}).json() == []
    assert "main_ops" not in str(client.get(f"{theirs}/dashboards").json())
    # main's own are untouched
    assert client.get(f"{main}/tests/{ns}/greet_suite").status_code == 200
    assert client.get(f"{main}/dashboards/main_ops").json()["title"] == "Ops of main"
