"""The dbt blueprints run end to end with `legato flow run`: dbt_duckdb_build with the real dbt on DuckDB, and
dbt_cloud_trigger_run against the dbt Cloud API test double."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.flow_cli import ALLOW_LOOPBACK, blueprint, run_flow
from tests.integration.dbt_cli_cloud.cloud_double import TOKEN, DbtCloudDouble


def test_dbt_duckdb_build_blueprint_runs_green(tmp_path: Path) -> None:
    done = run_flow(blueprint("dbt_duckdb_build"), tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "SUCCESS" in done.stdout.splitlines()[-1]
    assert "dbt built 5 nodes" in done.stdout  # a seed, two models, two data tests
    assert "model.shop.customer_totals SUCCESS" in done.stdout
    assert list((tmp_path / "storage").rglob("shop.duckdb"))


def test_dbt_cloud_blueprint_runs_against_the_test_double(tmp_path: Path) -> None:
    double = DbtCloudDouble()
    with double.serve() as url:
        def point(task: dict[str, Any]) -> None:
            if task["type"].startswith("io.kestra.plugin.dbt.cloud."):
                task.update(baseUrl=url, pollFrequency="PT0.1S")

        done = run_flow(blueprint("dbt_cloud_trigger_run", point), tmp_path, env=ALLOW_LOOPBACK, secrets={"DBT_TOKEN": TOKEN},
                        inputs={"account_id": "4242", "job_id": "12"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "dbt Cloud run 70000: 2 nodes" in done.stdout
    assert double.requests[0].path == "/api/v2/accounts/4242/jobs/12/run/"


LEGACY = """\
id: dbt_legacy
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: setup
        type: io.kestra.plugin.dbt.cli.Setup
        requirements:
          - dbt-duckdb
        profiles:
          shop:
            target: dev
            outputs:
              dev:
                type: duckdb
                path: shop.duckdb
        inputFiles:
          dbt_project.yml: |
            name: shop
            version: "1.0.0"
            config-version: 2
            profile: shop
          models/orders.sql: |
            select 1 as id, 'ada' as customer
          models/customers.sql: |
            select distinct customer from {% raw %}{{ ref('orders') }}{% endraw %}
      - id: build
        type: io.kestra.plugin.dbt.cli.Build
        select:
          - orders
      - id: test
        type: io.kestra.plugin.dbt.cli.Run
        fullRefresh: true
  - id: report
    type: io.kestra.plugin.core.log.Log
    message: "built {{ outputs.build.nodes | length }}, ran {{ outputs.test.nodes | length }}"
"""


def test_the_older_setup_build_and_run_tasks_share_a_working_directory(tmp_path: Path) -> None:
    done = run_flow(LEGACY, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "requirements already installed with Legato" in done.stdout
    assert "built 1, ran 2" in done.stdout
