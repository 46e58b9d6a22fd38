"""dbt.cli tasks running the real dbt on a small project: DbtCLI on DuckDB and PostgreSQL (outputs, one entry per
dbt node with its state and timing, metrics, logs, failures that keep the nodes), the manifest in the KV store,
and the older one-command tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from tests.integration.dbt_cli_cloud.conftest import upload_project
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage

DUCKDB_PROFILE = """\
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: shop.duckdb
      threads: 2
"""


def _cli(commands: list[str], profiles: str, **more: Any) -> dict[str, Any]:
    return {"id": "dbt", "type": "io.kestra.plugin.dbt.cli.DbtCLI", "namespaceFiles": {"enabled": True},
            "profiles": profiles, "commands": commands, **more}


def test_dbtcli_builds_on_duckdb_and_reports_each_node(harness: Harness, storage: LocalStorage, tmp_path: Path) -> None:
    ctx = harness.context(storage=storage)
    upload_project(storage, ctx.execution.namespace)
    out = harness.run(_cli(["dbt build"], DUCKDB_PROFILE, outputFiles=["shop.duckdb"],
                           storeManifest={"key": "shop_manifest", "namespace": "company.team"}), ctx)
    assert out["exitCode"] == 0
    assert {"manifest.json", "run_results.json", "shop.duckdb"} <= set(out["outputFiles"])
    nodes = {n["taskId"]: n for n in out["nodes"]}
    assert set(nodes) >= {"seed.shop.raw_orders", "model.shop.stg_orders", "model.shop.customer_totals"}
    assert len(nodes) == 7  # a seed, two models, three generic tests and one singular test
    assert {n["state"]["current"] for n in nodes.values()} == {"SUCCESS"}
    model = nodes["model.shop.customer_totals"]
    assert [h["state"] for h in model["state"]["histories"]] == ["CREATED", "RUNNING", "SUCCESS"]
    assert model["parentTaskRunId"] == ctx.task_run.id
    assert model["outputs"]["resourceType"] == "model" and model["outputs"]["relation"].endswith("main.customer_totals")
    assert model["outputs"]["status"] == "success" and model["outputs"]["executionTime"] >= 0

    run_results = json.loads(storage.get(out["outputFiles"]["run_results.json"]))
    assert len(run_results["results"]) == 7
    local = tmp_path / "shop.duckdb"
    local.write_bytes(storage.get(out["outputFiles"]["shop.duckdb"]))
    with duckdb.connect(str(local), read_only=True) as db:
        rows = db.execute("select customer, orders, total from customer_totals order by 1").fetchall()
    assert rows == [("ada", 2, 42), ("grace", 1, 8), ("linus", 1, 21)]

    messages = [m for _, m in harness.messages(ctx)]
    assert any(m.startswith("model.shop.customer_totals => success in ") for m in messages)
    assert any("Completed successfully" in m for m in messages)  # dbt's own JSON log lines, as text
    assert not any(m.startswith('{"info"') for m in messages)
    metrics = ctx.effects.extra["metrics"]
    assert any(m["name"] == "rows.affected" and m["tags"]["node"] == "seed.shop.raw_orders" and m["value"] == 5
               for m in metrics)
    stored = ctx.kv.get("shop_manifest", "company.team")
    assert stored is not None and "model.shop.customer_totals" in stored[1]["nodes"]


def test_a_failing_dbt_test_fails_the_task_and_keeps_the_nodes(harness: Harness, storage: LocalStorage) -> None:
    ctx = harness.context(storage=storage)
    upload_project(storage, ctx.execution.namespace)
    with pytest.raises(TaskFailed) as failed:
        harness.run(_cli(["dbt seed", "dbt run", "dbt test --vars '{max_amount: 25}'"], DUCKDB_PROFILE), ctx)
    assert "exit code" in str(failed.value)
    nodes = {n["taskId"]: n for n in failed.value.outputs["nodes"]}
    assert nodes["test.shop.no_order_above_limit"]["state"]["current"] == "FAILED"
    assert nodes["test.shop.no_order_above_limit"]["outputs"]["failures"] == 1
    assert "run_results.json" in failed.value.outputs["outputFiles"]
    assert any(level == "ERROR" and m.startswith("test.shop.no_order_above_limit => fail") and m.endswith("(1 failure)")
               for level, m in harness.messages(ctx))


def test_dbtcli_on_postgres_with_project_dir_and_load_manifest(harness: Harness, storage: LocalStorage,
                                                               pg_dbname: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # the sandbox's network is outbound-only by default: the worker's own 127.0.0.1 is reached with `host`
    monkeypatch.setenv("LEGATO_SCRIPT_NETWORK", "host")
    profile = f"""\
shop:
  target: pg
  outputs:
    pg:
      type: postgres
      host: 127.0.0.1
      port: 5432
      user: postgres
      password: ""
      dbname: {pg_dbname}
      schema: analytics
      threads: 2
"""
    ctx = harness.context(storage=storage)
    upload_project(storage, ctx.execution.namespace, "project")
    ctx.kv.set("m", "", type="STRING", ttl_seconds=None)
    task = {"id": "dbt", "type": "io.kestra.plugin.dbt.cli.DbtCLI", "namespaceFiles": {"enabled": True},
            "projectDir": "project", "profiles": profile, "commands": ["dbt build --target pg"],
            "loadManifest": {"key": "m", "namespace": ctx.execution.namespace}}
    out = harness.run(task, ctx)
    assert out["exitCode"] == 0 and len(out["nodes"]) == 7
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{pg_dbname}") as conn:
        rows = conn.execute("select customer, total from analytics.customer_totals order by 1").fetchall()
    assert rows == [("ada", 42), ("grace", 8), ("linus", 21)]
    model = {n["taskId"]: n for n in out["nodes"]}["model.shop.customer_totals"]
    assert model["outputs"]["rowsAffected"] == 3  # PostgreSQL's adapter reports the rows written
    assert any("no manifest was found" in m for _, m in harness.messages(ctx))


def test_parse_run_results_false_keeps_the_files_but_no_nodes(harness: Harness, storage: LocalStorage) -> None:
    ctx = harness.context(storage=storage)
    upload_project(storage, ctx.execution.namespace)
    out = harness.run(_cli(["dbt seed"], DUCKDB_PROFILE, parseRunResults=False, logFormat="NONE"), ctx)
    assert "nodes" not in out and "manifest.json" in out["outputFiles"] and "run_results.json" not in out["outputFiles"]


def test_legacy_build_task_with_project_dir_and_selection(harness: Harness, storage: LocalStorage) -> None:
    ctx = harness.context(storage=storage)
    upload_project(storage, ctx.execution.namespace, "dbt")
    out = harness.run({"id": "build", "type": "io.kestra.plugin.dbt.cli.Build", "namespaceFiles": {"enabled": True},
                       "projectDir": "dbt", "profiles": DUCKDB_PROFILE, "select": ["+stg_orders"],
                       "thread": 1, "outputFiles": ["dbt/target/*.json"]}, ctx)
    assert out["exitCode"] == 0
    ids = {n["taskId"] for n in out["nodes"]}
    assert "model.shop.stg_orders" in ids and "model.shop.customer_totals" not in ids
    assert "dbt/target/run_results.json" in out["outputFiles"]
