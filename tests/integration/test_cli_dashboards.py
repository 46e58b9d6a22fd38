"""`legato dashboard list|apply|show|export|delete` on a database, as a user types them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import insert

from legato.cli.main import cli
from legato.model.execution import Execution
from legato.model.ids import new_id
from legato.model.state import State
from legato.store.schema import executions
from legato.store.sql import SqlStore

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
OPS = """id: ops
title: {title}
charts:
  - id: by_flow
    type: io.kestra.plugin.core.dashboard.chart.Bar
    chartOptions: {{displayName: Per flow, column: flow}}
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        flow: {{field: FLOW_ID, displayName: Flow}}
        runs: {{agg: COUNT, displayName: Runs}}
"""


def test_dashboards_from_the_cli(sqlite_store: SqlStore, tmp_path: Path) -> None:
    url = ["--database-url", str(sqlite_store.database.engine.url)]
    run = CliRunner().invoke
    with sqlite_store.database.engine.begin() as conn:
        for n, flow in enumerate(["a", "a", "b"]):
            e = Execution(id=new_id(), namespace="team", flow_id=flow, flow_revision=1, state=State.SUCCESS,
                          created=NOW - timedelta(hours=n))
            conn.execute(insert(executions), {"id": e.id, "namespace": "team", "flow_id": flow, "flow_revision": 1,
                                              "state": "SUCCESS", "parent_id": None, "created": e.created,
                                              "ended": None, "data": e, "transient": False})
    assert run(cli, ["dashboard", "list", *url]).output.startswith("default\tOverview\t6 charts\t")  # built in
    (tmp_path / "ops.yaml").write_text(OPS.format(title="Ops"))
    (tmp_path / "bad.yaml").write_text(OPS.format(title="Bad").replace("FLOW_ID", "FLOW"))
    refused = run(cli, ["dashboard", "apply", str(tmp_path / "ops.yaml"), str(tmp_path / "bad.yaml"), *url])
    assert refused.exit_code == 1 and "bad.yaml:10:" in refused.output and "unknown field 'FLOW'" in refused.output
    assert sqlite_store.list_dashboards() == []  # nothing saved when one file is invalid
    created = run(cli, ["dashboard", "apply", str(tmp_path / "ops.yaml"), *url])
    assert created.exit_code == 0 and "dashboard ops created" in created.output
    (tmp_path / "ops.yaml").write_text(OPS.format(title="Ops v2"))
    assert "dashboard ops updated" in run(cli, ["dashboard", "apply", str(tmp_path / "ops.yaml"), *url]).output
    listed = run(cli, ["dashboard", "list", *url]).output.splitlines()
    assert listed[1].startswith("ops\tOps v2\t1 charts\t")
    assert run(cli, ["dashboard", "show", "ops", *url]).output == OPS.format(title="Ops v2")
    exported = run(cli, ["dashboard", "export", "ops", "by_flow", "--start", "2025-02-28T00:00:00Z",
                         "--end", NOW.isoformat(), *url])
    assert exported.exit_code == 0, exported.output
    assert list(csv.reader(io.StringIO(exported.output))) == [["Flow", "Runs"], ["a", "2"], ["b", "1"]]
    target = tmp_path / "out.csv"
    assert run(cli, ["dashboard", "export", "ops", "by_flow", "--start", "2025-02-28T00:00:00Z", "--end",
                     NOW.isoformat(), "-o", str(target), *url]).exit_code == 0
    assert target.read_text().splitlines()[0] == "Flow,Runs"
    missing = run(cli, ["dashboard", "export", "ops", "nope", *url])
    assert missing.exit_code == 1 and "has no chart 'nope'" in missing.output
    assert run(cli, ["dashboard", "delete", "ops", *url]).exit_code == 0
    gone = run(cli, ["dashboard", "delete", "ops", *url])
    assert gone.exit_code == 1 and "dashboard 'ops' not found" in gone.output
