"""Custom dashboards over a real server (SQLite and PostgreSQL): create, read, update, list, delete and validate
their YAML (422 with the line and path of each problem), the rows of a chart for a time range, CSV export, and
what a reader bound on one namespace may do and see."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert
from tests.integration.api.conftest import LiveServer, _start

from legato.clock import utcnow
from legato.model.execution import Execution
from legato.model.ids import new_id
from legato.model.state import State
from legato.services import identity
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.schema import executions

YAML = {"content-type": "application/x-yaml"}
BASE = datetime(2025, 3, 1, 12, tzinfo=UTC)
RANGE = {"startDate": (BASE - timedelta(days=7)).isoformat(), "endDate": (BASE + timedelta(days=1)).isoformat()}
PASSWORD = "dashboard-password"


def dashboard(dashboard_id: str, ns: str, title: str = "Ops") -> str:
    return f"""id: {dashboard_id}
title: {title}
description: Executions of {ns}
timeWindow:
  default: P7D
  max: P30D
charts:
  - id: by_state
    type: io.kestra.plugin.core.dashboard.chart.Pie
    chartOptions:
      displayName: By state
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        state:
          field: STATE
          displayName: State
        total:
          agg: COUNT
          displayName: Executions
      where:
        - field: NAMESPACE
          type: STARTS_WITH
          value: {ns}
  - id: success
    type: io.kestra.plugin.core.dashboard.chart.KPI
    chartOptions:
      displayName: Success ratio
      numberType: PERCENTAGE
    data:
      type: io.kestra.plugin.core.dashboard.data.ExecutionsKPI
      columns:
        field: ID
        agg: COUNT
      numerator:
        - field: STATE
          type: EQUAL_TO
          value: SUCCESS
      where:
        - field: NAMESPACE
          type: STARTS_WITH
          value: {ns}
  - id: notes
    type: io.kestra.plugin.core.dashboard.chart.Markdown
    content: "Read me"
"""


def seed(server: LiveServer, ns: str) -> None:
    """Four executions of `ns` (three SUCCESS) and one of `ns`.child (FAILED), a day before BASE."""
    rows = []
    for n, (where, state) in enumerate([(ns, State.SUCCESS), (ns, State.SUCCESS), (ns, State.SUCCESS),
                                        (ns, State.FAILED), (f"{ns}.child", State.FAILED)]):
        created = BASE - timedelta(days=1, minutes=n)
        e = Execution(id=new_id(), namespace=where, flow_id="f", flow_revision=1, state=state, created=created)
        rows.append({"id": e.id, "namespace": where, "flow_id": "f", "flow_revision": 1, "state": state.value,
                     "parent_id": None, "created": created, "ended": created + timedelta(seconds=n + 1), "data": e,
                     "transient": False})
    engine = server.store.database.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(insert(executions), rows)


def test_crud_and_listing(client: httpx.Client, ns: str) -> None:
    key = f"d-{ns.rsplit('.', 1)[-1]}"
    created = client.post("/api/v1/main/dashboards", content=dashboard(key, ns), headers=YAML)
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["id"] == key and body["title"] == "Ops" and body["timeWindow"] == {"default": "P7D", "max": "P30D"}
    assert [c["id"] for c in body["charts"]] == ["by_state", "success", "notes"]
    assert body["sourceCode"] == dashboard(key, ns)
    again = client.post("/api/v1/main/dashboards", content=dashboard(key, ns), headers=YAML)
    assert again.status_code == 409
    updated = client.put(f"/api/v1/main/dashboards/{key}", content=dashboard(key, ns, "Ops v2"), headers=YAML)
    assert updated.status_code == 200 and updated.json()["title"] == "Ops v2"
    assert updated.json()["created"] == body["created"]
    listed = client.get("/api/v1/main/dashboards", params={"q": key}).json()
    assert listed["total"] == 1 and listed["results"][0]["title"] == "Ops v2"
    assert listed["results"][0]["sourceCode"] is None
    assert client.get(f"/api/v1/main/dashboards/{key}").json()["title"] == "Ops v2"
    assert client.delete(f"/api/v1/main/dashboards/{key}").status_code == 204
    assert client.get(f"/api/v1/main/dashboards/{key}").status_code == 404
    assert client.delete(f"/api/v1/main/dashboards/{key}").status_code == 404


def test_invalid_yaml_is_422_with_line_and_path(client: httpx.Client, ns: str) -> None:
    bad = dashboard("bad", ns).replace("field: STATE\n", "field: STATUS\n")
    reply = client.post("/api/v1/main/dashboards", content=bad, headers=YAML)
    assert reply.status_code == 422
    detail = reply.json()["details"][0]
    assert detail["path"] == "charts[0].data.columns.state.field"
    assert "unknown field 'STATUS'" in detail["message"] and detail["line"] == 16
    checked = client.post("/api/v1/main/dashboards/validate", content=bad, headers=YAML).json()
    assert checked["details"][0]["path"] == "charts[0].data.columns.state.field"
    fine = client.post("/api/v1/main/dashboards/validate", content=dashboard("ok", ns), headers=YAML).json()
    assert fine["constraints"] is None
    renamed = client.put("/api/v1/main/dashboards/nope", content=dashboard("nope", ns), headers=YAML)
    assert renamed.status_code == 404


def test_chart_rows_kpi_and_csv(server: LiveServer, client: httpx.Client, ns: str) -> None:
    seed(server, ns)
    key = f"rows-{ns.rsplit('.', 1)[-1]}"
    assert client.post("/api/v1/main/dashboards", content=dashboard(key, ns), headers=YAML).status_code == 200
    pie = client.post(f"/api/v1/main/dashboards/{key}/charts/by_state", json=RANGE)
    assert pie.status_code == 200, pie.text
    assert pie.json() == {"results": [{"state": "FAILED", "total": 2}, {"state": "SUCCESS", "total": 3}], "total": 2}
    kpi = client.post(f"/api/v1/main/dashboards/{key}/charts/success", json=RANGE).json()
    assert kpi["results"] == [{"value": 0.6, "numerator": 3, "denominator": 5}]
    paged = client.post(f"/api/v1/main/dashboards/{key}/charts/by_state",
                        json={**RANGE, "pageNumber": 2, "pageSize": 1}).json()
    assert paged == {"results": [{"state": "SUCCESS", "total": 3}], "total": 2}
    exported = client.post(f"/api/v1/main/dashboards/{key}/charts/by_state/export/to-csv", json=RANGE)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(exported.text))) == [["State", "Executions"], ["FAILED", "2"], ["SUCCESS", "3"]]
    too_wide = {"startDate": (BASE - timedelta(days=60)).isoformat(), "endDate": BASE.isoformat()}
    wide = client.post(f"/api/v1/main/dashboards/{key}/charts/by_state", json=too_wide)
    assert wide.status_code == 400 and "timeWindow.max" in wide.json()["message"]
    markdown = client.post(f"/api/v1/main/dashboards/{key}/charts/notes", json=RANGE)
    assert markdown.status_code == 400 and "Markdown" in markdown.json()["message"]
    assert client.post(f"/api/v1/main/dashboards/{key}/charts/nope", json=RANGE).status_code == 404
    assert client.post(f"/api/v1/main/dashboards/{key}/charts/by_state", json={}).status_code == 422


def test_a_chart_previewed_before_it_is_saved(server: LiveServer, client: httpx.Client, ns: str) -> None:
    seed(server, ns)
    chart = f"""id: flows
type: io.kestra.plugin.core.dashboard.chart.Table
data:
  type: io.kestra.plugin.core.dashboard.data.Executions
  columns:
    ns: {{field: NAMESPACE}}
    runs: {{agg: COUNT}}
  where: [{{field: NAMESPACE, type: STARTS_WITH, value: {ns}}}]
"""
    rows = client.post("/api/v1/main/dashboards/charts/preview", json={**RANGE, "chart": chart})
    assert rows.status_code == 200, rows.text
    assert rows.json()["results"] == [{"ns": ns, "runs": 4}, {"ns": f"{ns}.child", "runs": 1}]
    bad = client.post("/api/v1/main/dashboards/charts/preview", json={**RANGE, "chart": chart.replace("COUNT", "TOTAL")})
    assert bad.status_code == 422 and bad.json()["details"][0]["path"] == "data.columns.runs.agg"
    assert bad.json()["details"][0]["line"] == 7


def test_a_regular_expression_the_database_refuses_is_a_400(server: LiveServer, client: httpx.Client, ns: str) -> None:
    key = f"re-{ns.rsplit('.', 1)[-1]}"
    source = dashboard(key, ns).replace("type: STARTS_WITH\n          value: " + ns, "type: REGEX\n          value: '(?P<n>x)'", 1)
    assert "REGEX" in source
    assert client.post("/api/v1/main/dashboards", content=source, headers=YAML).status_code == 200
    reply = client.post(f"/api/v1/main/dashboards/{key}/charts/by_state", json=RANGE)
    if server.backend == "postgresql":  # Python's named groups are not PostgreSQL's syntax
        assert reply.status_code == 400 and "the database refused a value" in reply.json()["message"]
    else:
        assert reply.status_code == 200 and reply.json()["results"] == []


def test_the_built_in_default_dashboard_until_one_is_saved(own_server: LiveServer) -> None:
    seed(own_server, "ops")
    with own_server.client() as client:
        listed = client.get("/api/v1/main/dashboards").json()
        assert [d["id"] for d in listed["results"]] == ["default"] and listed["results"][0]["updated"] is None
        built_in = client.get("/api/v1/main/dashboards/default").json()
        assert built_in["title"] == "Overview" and len(built_in["charts"]) == 6
        ratio = client.post("/api/v1/main/dashboards/default/charts/success_ratio", json=RANGE).json()
        assert ratio["results"] == [{"value": 0.6, "numerator": 3, "denominator": 5}]
        for chart in built_in["charts"]:  # every chart of it runs
            answer = client.post(f"/api/v1/main/dashboards/default/charts/{chart['id']}", json=RANGE)
            assert answer.status_code == 200, (chart["id"], answer.text)
        assert client.delete("/api/v1/main/dashboards/default").status_code == 404  # the built-in stays
        mine = dashboard("default", "ops", title="Our overview")
        assert client.put("/api/v1/main/dashboards/default", content=mine, headers=YAML).status_code == 200
        assert client.get("/api/v1/main/dashboards/default").json()["title"] == "Our overview"
        assert client.delete("/api/v1/main/dashboards/default").status_code == 204
        assert client.get("/api/v1/main/dashboards/default").json()["title"] == "Overview"


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from _start(open_store(f"sqlite:///{tmp_path / 'legato.db'}"), tmp_path, "sqlite")


def test_a_namespace_viewer_reads_only_its_rows_and_cannot_write(own_server: LiveServer) -> None:
    identity.create_account(own_server.store, "USER", "root", password=PASSWORD, owner=True, by=SYSTEM, now=utcnow())
    seed(own_server, "ops")
    with own_server.client(auth=("root", PASSWORD)) as root:
        user = root.post("/api/v1/main/users", json={"username": "vic", "password": PASSWORD}).json()
        bound = root.post("/api/v1/main/bindings", json={"roleId": "viewer", "type": "USER",
                                                          "externalId": user["id"], "namespace": "ops.child"})
        assert bound.status_code == 200, bound.text
        assert root.post("/api/v1/main/dashboards", content=dashboard("ops", "ops"), headers=YAML).status_code == 200
        everything = root.post("/api/v1/main/dashboards/ops/charts/by_state", json=RANGE).json()
        assert everything["results"] == [{"state": "FAILED", "total": 2}, {"state": "SUCCESS", "total": 3}]
    with own_server.client(auth=("vic", PASSWORD)) as vic:
        assert vic.get("/api/v1/main/dashboards/ops").status_code == 200
        mine = vic.post("/api/v1/main/dashboards/ops/charts/by_state", json=RANGE).json()
        assert mine["results"] == [{"state": "FAILED", "total": 1}]  # the ops.child execution only
        denied = vic.post("/api/v1/main/dashboards", content=dashboard("mine", "ops"), headers=YAML)
        assert denied.status_code == 403 and "DASHBOARD:CREATE" in denied.json()["message"]
        assert vic.delete("/api/v1/main/dashboards/ops").status_code == 403
        assert vic.put("/api/v1/main/dashboards/ops", content=dashboard("ops", "ops"), headers=YAML).status_code == 403
