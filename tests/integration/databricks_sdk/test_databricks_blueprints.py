"""The Databricks blueprints run end to end with `legato flow run` against the Databricks API test double."""

from __future__ import annotations

from pathlib import Path

from tests.flow_cli import blueprint, run_flow
from tests.integration.databricks_sdk.double import TOKEN, DatabricksDouble


def test_cluster_job_blueprint_creates_runs_and_deletes(tmp_path: Path) -> None:
    double = DatabricksDouble()
    with double.serve() as url:
        done = run_flow(blueprint("databricks_cluster_job"), tmp_path,
                        secrets={"DATABRICKS_HOST": url, "DATABRICKS_TOKEN": TOKEN})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "run 9000 done: " in done.stdout and "/#job/500/run/9000" in done.stdout  # the host is a secret: masked
    assert double.clusters == {}  # deleted in `finally`
    task = double.jobs[500]["settings"]["tasks"][0]
    assert task["existing_cluster_id"] == "0101-000000-abc" and task["spark_python_task"]["parameters"][0] == "--day"


def test_sql_to_csv_blueprint(tmp_path: Path) -> None:
    double = DatabricksDouble()
    with double.serve() as url:
        done = run_flow(blueprint("databricks_sql_to_csv"), tmp_path,
                        secrets={"DATABRICKS_HOST": url, "DATABRICKS_TOKEN": TOKEN})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 rows in kestra:///" in done.stdout
    assert next((tmp_path / "storage").rglob("*.csv")).read_text().splitlines()[:2] == ["country,orders", "FR,12"]
