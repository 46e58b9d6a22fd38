"""databricks tasks with the real databricks-sdk client against the Databricks API test double (double.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.databricks_sdk.double import TOKEN, DatabricksDouble
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage, ion
from legato.storage.uris import execution_prefix, join

DB = "io.kestra.plugin.databricks"


@pytest.fixture
def databricks() -> Iterator[tuple[DatabricksDouble, str]]:
    double = DatabricksDouble()
    with double.serve() as url:
        yield double, url


def _task(url: str, kind: str, **props: Any) -> dict[str, Any]:
    return {"id": kind.rsplit(".", 1)[-1].lower(), "type": f"{DB}.{kind}", "host": url,
            "authentication": {"token": TOKEN}, **props}


def test_create_and_delete_a_cluster(harness: Harness, databricks: tuple[DatabricksDouble, str]) -> None:
    double, url = databricks
    out = harness.run(_task(url, "cluster.CreateCluster", clusterName="kestra-demo", sparkVersion="13.0.x-scala2.12",
                            nodeTypeId="n2-highmem-4", minWorkers=1, maxWorkers=3, autoTerminationMinutes=30))
    assert out["clusterState"] == "RUNNING" and out["clusterURI"] == f"{url}/#setting/clusters/{out['clusterId']}/configuration"
    created = next(r for r in double.requests if r.path.endswith("/clusters/create"))
    assert created.body == {"cluster_name": "kestra-demo", "spark_version": "13.0.x-scala2.12", "node_type_id": "n2-highmem-4",
                            "autotermination_minutes": 30, "autoscale": {"min_workers": 1, "max_workers": 3}}
    assert harness.run(_task(url, "cluster.DeleteCluster", clusterId=out["clusterId"])) == {}
    assert double.clusters == {}
    with pytest.raises(TaskFailed, match="Cluster does not exist"):
        harness.run(_task(url, "cluster.DeleteCluster", clusterId=out["clusterId"]))


def test_create_job_runs_it_and_waits(harness: Harness, databricks: tuple[DatabricksDouble, str]) -> None:
    double, url = databricks
    out = harness.run(_task(url, "job.CreateJob", jobName="nightly", waitForCompletion="PT2M", jobTasks=[
        {"taskKey": "hello", "existingClusterId": "0101-x", "sparkPythonTask": {
            "pythonFile": "/Shared/hello.py", "sparkPythonTaskSource": "WORKSPACE", "parameters": ["--day", "1"]}},
        {"taskKey": "report", "dependsOn": ["hello"], "notebookTask": {"notebookPath": "/Shared/report",
                                                                       "baseParameters": {"runDate": "2026-01-01"}}}]))
    assert out == {"jobId": 500, "jobURI": f"{url}/#job/500", "runId": 9000, "runURI": f"{url}/#job/500/run/9000"}
    tasks = double.jobs[500]["settings"]["tasks"]
    assert tasks[0]["spark_python_task"] == {"python_file": "/Shared/hello.py", "source": "WORKSPACE", "parameters": ["--day", "1"]}
    assert tasks[1]["depends_on"] == [{"task_key": "hello"}]
    assert tasks[1]["notebook_task"]["base_parameters"] == {"runDate": "2026-01-01"}


def test_submit_run_fails_when_the_run_fails(harness: Harness, databricks: tuple[DatabricksDouble, str]) -> None:
    _, url = databricks
    fine = harness.run(_task(url, "job.SubmitRun", runName="once", runTasks=[
        {"taskKey": "t", "existingClusterId": "0101-x", "sparkPythonTask": {"pythonFile": "/Shared/ok.py"}}]))
    assert fine["runId"] == 9000 and fine["runURI"] == f"{url}/#job/9700/run/9000"  # no wait: submitted only
    with pytest.raises(TaskFailed, match="Databricks run 9001 ended FAILED: Task failed with an exception"):
        harness.run(_task(url, "job.SubmitRun", waitForCompletion="PT2M", runTasks=[
            {"taskKey": "t", "existingClusterId": "0101-x", "sparkPythonTask": {"pythonFile": "/Shared/fail.py"}}]))
    with pytest.raises(TaskFailed, match=r"Databricks SubmitRun failed: .*unauthorized"):
        harness.run({**_task(url, "job.SubmitRun", runTasks=[{"taskKey": "t"}]), "authentication": {"token": "nope"}})


def test_sql_query_stores_the_rows(harness: Harness, databricks: tuple[DatabricksDouble, str], tmp_path: Path) -> None:
    _, url = databricks
    storage = LocalStorage(tmp_path / "storage")
    ctx = harness.context(storage=storage)
    out = harness.run({"id": "sql", "type": f"{DB}.sql.Query", "host": url, "httpPath": "/sql/1.0/warehouses/abc123",
                       "accessToken": TOKEN, "sql": "SELECT 1 AS id, 'ada' AS name UNION ALL SELECT 2, 'grace' ORDER BY id"}, ctx)
    assert out["size"] == 2
    assert list(ion.values(storage.open(out["uri"]))) == [{"id": "1", "name": "ada"}, {"id": "2", "name": "grace"}]
    with pytest.raises(TaskFailed, match=r"Databricks SQL failed: .*nope"):
        harness.run({"id": "sql", "type": f"{DB}.sql.Query", "host": url, "httpPath": "/sql/1.0/warehouses/abc123",
                     "accessToken": TOKEN, "sql": "SELECT * FROM nope"}, harness.context(storage=storage))


def test_dbfs_upload_then_download(harness: Harness, databricks: tuple[DatabricksDouble, str], tmp_path: Path) -> None:
    double, url = databricks
    storage = LocalStorage(tmp_path / "storage")
    ctx = harness.context(storage=storage)
    e = ctx.execution
    data = bytes(range(256)) * 5000  # 1.2 MB: more than one block each way
    uri = storage.put(join(execution_prefix(e.namespace, e.flow_id, e.id), "inputs/data.bin"), data)
    assert harness.run(_task(url, "dbfs.Upload", **{"from": uri}, to="/Shared/data.bin"), ctx) == {}
    assert double.files["/Shared/data.bin"] == data
    out = harness.run(_task(url, "dbfs.Download", **{"from": "/Shared/data.bin"}), ctx)
    assert out["uri"].endswith("/data.bin") and storage.get(out["uri"]) == data
    with pytest.raises(TaskFailed, match="No file or directory exists on path /Shared/nope"):
        harness.run(_task(url, "dbfs.Download", **{"from": "/Shared/nope"}), ctx)


def test_databricks_cli_gets_the_workspace_in_its_environment(harness: Harness, tmp_path: Path) -> None:
    ctx = harness.context(storage=LocalStorage(tmp_path / "storage"))
    line = 'echo "::{\\"outputs\\": {\\"host\\": \\"$DATABRICKS_HOST\\", \\"token\\": \\"$DATABRICKS_TOKEN\\"}}::"'
    out = harness.run({"id": "cli", "type": f"{DB}.cli.DatabricksCLI", "databricksHost": "https://example.cloud.databricks.com",
                       "databricksToken": "dapi-secret", "commands": [line]}, ctx)
    assert out["exitCode"] == 0 and out["vars"] == {"host": "https://example.cloud.databricks.com", "token": "dapi-secret"}


def test_databricks_sql_cli_runs_dbsqlcli_with_the_statements(harness: Harness, tmp_path: Path) -> None:
    # a stand-in `dbsqlcli` (the real CLI is not installed here) that prints what it was given
    ctx = harness.context(storage=LocalStorage(tmp_path / "storage"))
    stand_in = 'printf "%s|" "$@"; echo "token=$DATABRICKS_TOKEN"'
    out = harness.run({"id": "sql", "type": f"{DB}.cli.DatabricksSQLCLI", "host": "example.cloud.databricks.com",
                       "token": "dapi-x", "httpPath": "/sql/1.0/warehouses/abc", "options": {"--table-format": "csv"},
                       "inputFiles": {"bin/dbsqlcli": stand_in}, "beforeCommands": ["chmod +x bin/dbsqlcli"],
                       "env": {"PATH": "{{ workingDir }}/bin:/usr/bin:/bin"},
                       "commands": ["SELECT 'it''s' AS x", "SELECT 2"]}, ctx)
    assert out["exitCode"] == 0
    logged = [m for _, m in harness.messages(ctx)]
    assert ("--hostname|example.cloud.databricks.com|--access-token|dapi-x|--http-path|/sql/1.0/warehouses/abc|"
            "-e|SELECT 'it''s' AS x|-e|SELECT 2|--table-format|csv|token=dapi-x") in logged
