"""Kestra's Microsoft Fabric tasks against the test double of Entra ID, Fabric's job scheduler API and OneLake's
ADLS Gen2 API (double.py): real HTTP on 127.0.0.1 through the tasks' guarded client. The Warehouse's SQL endpoint
(TDS with a token, Microsoft's ODBC driver) cannot run here: its test checks the token exchange and the error
saying what is missing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.integration.fabric.double import CLIENT_ID, SECRET, TENANT, FabricDouble
from tests.integration.fs.conftest import Tasks

from legato.plugins.context import TaskFailed
from legato.storage.namespace_files import file_uri


def task(double: FabricDouble, kind: str, **props: Any) -> str:
    fields = {"tenantId": TENANT, "clientId": CLIENT_ID, "clientSecret": SECRET, "workspaceId": "ws-1",
              "authorityHost": double.base_url, "apiUrl": f"{double.base_url}/v1",
              "oneLakeEndpoint": double.base_url, **props}
    if kind.startswith("warehouse"):
        fields = {k: v for k, v in fields.items() if k not in ("workspaceId", "apiUrl", "oneLakeEndpoint")}
    if kind.startswith("onelake"):
        fields.pop("apiUrl")
    else:
        fields.pop("oneLakeEndpoint", None)
    return f"id: t\ntype: io.kestra.plugin.microsoft.fabric.{kind}\n" + "".join(
        f"{k}: {json.dumps(v)}\n" for k, v in fields.items())


def test_run_pipeline_waits_for_completion_with_its_parameters(tasks: Tasks) -> None:
    double = FabricDouble({"pipe-1": ["NotStarted", "InProgress", "Completed"]}, throttle_once=True)
    with double.serve():
        out = tasks.run(task(double, "data.engineering.RunPipeline", pipelineId="pipe-1", pollFrequency="PT0.05S",
                             parameters={"load_date": "{{ '2026-12-07' }}", "env": "prod"}))
    assert out == {"runId": "job-0001", "status": "Completed"}
    job = double.jobs["job-0001"]
    assert job["jobType"] == "Pipeline" and job["executionData"] == {"executionData": {"parameters": {"load_date": "2026-12-07", "env": "prod"}}}
    assert double.reads["job-0001"] == 3  # read until Completed, the 429 read again after its Retry-After


def test_notebook_and_spark_job_types_and_no_wait(tasks: Tasks) -> None:
    double = FabricDouble({"nb-1": ["InProgress", "Completed"], "sj-1": ["InProgress"]})
    with double.serve():
        nb = tasks.run(task(double, "data.engineering.RunNotebook", notebookId="nb-1", pollFrequency="PT0.05S"))
        sj = tasks.run(task(double, "data.engineering.RunSparkJob", sparkJobDefinitionId="sj-1", wait=False))
    assert nb == {"jobInstanceId": "job-0001", "status": "Completed"}
    assert sj == {"jobInstanceId": "job-0002", "status": "Running"}
    assert [j["jobType"] for j in double.jobs.values()] == ["RunNotebook", "sparkjob"]
    assert "job-0002" not in double.reads  # not waited for


def test_failed_job_timeout_unknown_item_and_bad_secret_fail_clearly(tasks: Tasks) -> None:
    double = FabricDouble({"nb-bad": ["InProgress", "Failed"], "nb-slow": ["InProgress"]})
    with double.serve():
        with pytest.raises(TaskFailed, match="RunNotebook job job-0001 ended with status Failed: Notebook cell 3 raised ValueError"):
            tasks.run(task(double, "data.engineering.RunNotebook", notebookId="nb-bad", pollFrequency="PT0.05S"))
        with pytest.raises(TaskFailed, match=r"did not complete within 0\.2 s; last status: InProgress"):
            tasks.run(task(double, "data.engineering.RunNotebook", notebookId="nb-slow", pollFrequency="PT0.05S",
                           timeout="PT0.2S"))
        with pytest.raises(TaskFailed, match="HTTP 404: The requested item nope was not found"):
            tasks.run(task(double, "data.engineering.RunPipeline", pipelineId="nope"))
        with pytest.raises(TaskFailed, match=r"HTTP 401.*AADSTS7000215"):
            tasks.run(task(double, "data.engineering.RunPipeline", pipelineId="nb-bad", clientSecret="wrong"))


def test_onelake_upload_download_and_delete_round_trip(tasks: Tasks) -> None:
    content = b"id,amount\n" + b"".join(b"%d,%d\n" % (i, i * 7) for i in range(700_000))  # > one 4 MiB block
    source = tasks.storage.put(file_uri("company.team", "/orders.csv"), content)  # a namespace file
    double = FabricDouble()
    with double.serve():
        up = tasks.run(task(double, "onelake.Upload", itemId="lake-1", filePath="/raw/2026-12-07/orders.csv",
                            **{"from": source}))
        assert up == {"uri": "abfss://ws-1@onelake.dfs.fabric.microsoft.com/lake-1/Files/raw/2026-12-07/orders.csv"}
        assert double.files["ws-1/lake-1/Files/raw/2026-12-07/orders.csv"] == content
        down = tasks.run(task(double, "onelake.Download", itemId="lake-1", filePath="raw/2026-12-07/orders.csv"))
        assert down["size"] == len(content) and tasks.storage.get(down["uri"]) == content
        with pytest.raises(TaskFailed, match=r"HTTP 409.*recursive"):
            tasks.run(task(double, "onelake.Delete", itemId="lake-1", filePath="raw"))
        tasks.run(task(double, "onelake.Delete", itemId="lake-1", filePath="raw", recursive=True))
        assert double.files == {}
        with pytest.raises(TaskFailed, match="HTTP 404: The specified path does not exist"):
            tasks.run(task(double, "onelake.Download", itemId="lake-1", filePath="raw/2026-12-07/orders.csv"))


def test_warehouse_query_gets_a_sql_token_then_says_what_is_missing(tasks: Tasks) -> None:
    double = FabricDouble()
    with double.serve(), pytest.raises(TaskFailed, match=r"pip install 'pyodbc'|ODBC Driver 18|cannot connect to the Fabric Warehouse"):
        tasks.run(task(double, "warehouse.Query", sqlEndpointId="abc123", warehouseId="wh-1", host="127.0.0.1",
                       sql="SELECT 1 AS one", fetchType="FETCH_ONE"))
    token_calls = [r for r in double.requests if r.path.endswith("/oauth2/v2.0/token")]
    assert "scope=https%3A%2F%2Fdatabase.windows.net%2F.default" in token_calls[-1].raw.decode()


def test_kestra_blueprint_shapes_validate() -> None:
    from legato.flows.parse import parse_flow

    for kind, props in [("data.engineering.RunPipeline", "pipelineId: p\nparameters:\n  d: \"{{ now() }}\"\nwait: true\npollFrequency: PT15S\ntimeout: PT1H\n"),
                        ("onelake.Upload", "itemId: i\nfrom: \"{{ outputs.x.uri }}\"\nfilePath: a.csv\n"),
                        ("warehouse.Query", "sqlEndpointId: e\nwarehouseId: w\nfetchType: STORE\nsql: SELECT 1\n")]:
        workspace = "" if kind.startswith("warehouse") else "    workspaceId: ws\n"
        body = "".join(f"    {line}\n" for line in props.splitlines())
        flow = parse_flow(f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.microsoft.fabric.{kind}\n"
                          f"    tenantId: \"{{{{ secret('T') }}}}\"\n    clientId: c\n    clientSecret: s\n{workspace}{body}")
        assert flow.tasks[0].id == "t"
