"""The Fivetran blueprint runs end to end with `legato flow run` against the Fivetran and dbt Cloud test
doubles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.flow_cli import ALLOW_LOOPBACK, blueprint, run_flow
from tests.integration.dbt_cli_cloud.cloud_double import TOKEN, DbtCloudDouble
from tests.integration.fivetran.double import KEY, SECRET, FivetranDouble


def test_fivetran_then_dbt_cloud_blueprint(tmp_path: Path) -> None:
    fivetran, cloud = FivetranDouble(), DbtCloudDouble()
    with fivetran.serve() as fivetran_url, cloud.serve() as cloud_url:
        def point(task: dict[str, Any]) -> None:
            if task["type"].startswith("io.kestra.plugin.fivetran."):
                task.update(baseUrl=fivetran_url, pollFrequency="PT0.1S")
            elif task["type"].startswith("io.kestra.plugin.dbt.cloud."):
                task.update(baseUrl=cloud_url, pollFrequency="PT0.1S")

        done = run_flow(blueprint("fivetran_then_dbt_cloud", point), tmp_path, env=ALLOW_LOOPBACK,
                        secrets={"FIVETRAN_API_KEY": KEY, "FIVETRAN_API_SECRET": SECRET, "DBT_TOKEN": TOKEN})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    synced = {r.path for r in fivetran.requests if r.method == "POST"}
    assert synced == {"/v2/connectors/enterprise_sprout/sync", "/v2/connectors/warehouse_replica/sync"}
    assert [r.path for r in cloud.requests if r.method == "POST"] == ["/api/v2/accounts/12345/jobs/67890/run/"]
