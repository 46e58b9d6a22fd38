"""examples/fabric.yaml end to end with `legato flow run` against the Fabric test double (double.py), its Fabric
tasks pointed at it: the file lands in the Lakehouse, the pipeline and the notebook run to completion. The Warehouse
check cannot run here (no ODBC driver for Fabric's SQL endpoint): the flow fails there, saying what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from tests.flow_cli import ALLOW_LOOPBACK, run_flow
from tests.integration.fabric.double import CLIENT_ID, SECRET, TENANT, FabricDouble

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "fabric.yaml"


def test_the_example_uploads_then_runs_the_pipeline_and_the_notebook(tmp_path: Path) -> None:
    double = FabricDouble({"your-pipeline-guid": ["InProgress", "Completed"],
                           "your-notebook-guid": ["InProgress", "InProgress", "Completed"]})
    with double.serve() as url:
        flow: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
        flow["pluginDefaults"][0]["values"].update(authorityHost=url, apiUrl=f"{url}/v1", oneLakeEndpoint=url)
        for task in flow["tasks"]:
            if task["type"].endswith(("RunPipeline", "RunNotebook")):
                task["pollFrequency"] = "PT0.1S"
        done = run_flow(yaml.safe_dump(flow, sort_keys=False), tmp_path, env=ALLOW_LOOPBACK,
                        secrets={"FABRIC_TENANT_ID": TENANT, "FABRIC_CLIENT_ID": CLIENT_ID, "FABRIC_CLIENT_SECRET": SECRET})
    [(path, content)] = double.files.items()
    assert path.startswith("your-workspace-guid/your-lakehouse-guid/Files/raw/") and content.startswith(b"id,amount\n")
    assert [(j["jobType"], j["executionData"]["executionData"]["parameters"]) for j in double.jobs.values()] == [
        ("Pipeline", {"load_date": path.split("/")[4]}), ("RunNotebook", {"source_layer": "bronze", "target_layer": "silver"})]
    assert double.reads == {"job-0001": 2, "job-0002": 3}
    assert done.returncode != 0 and "validate" in done.stdout + done.stderr
    assert "pyodbc" in done.stdout + done.stderr or "ODBC Driver 18" in done.stdout + done.stderr
