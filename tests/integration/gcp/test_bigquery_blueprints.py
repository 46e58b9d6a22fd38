"""The BigQuery blueprints run end to end with `legato flow run` against the BigQuery emulator."""

from __future__ import annotations

from pathlib import Path

from tests.flow_cli import blueprint, run_flow
from tests.integration.gcp.bigquery_emulator import BigQueryEmulator


def test_query_to_csv_blueprint_runs_against_the_emulator(tmp_path: Path) -> None:
    emulator = BigQueryEmulator(tmp_path / "gcs")
    with emulator.serve() as url:
        done = run_flow(blueprint("bigquery_query_to_csv"), tmp_path, env={"BIGQUERY_EMULATOR_HOST": url},
                        secrets={"GCP_SERVICE_ACCOUNT": "{}"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 countries, CSV at kestra:///" in done.stdout
    csv = next((tmp_path / "storage").rglob("*.csv")).read_text().splitlines()
    assert csv[0] == "country,orders,total" and csv[1].startswith("DE,1,30")


def test_load_and_export_blueprint_runs_against_the_emulator(tmp_path: Path) -> None:
    emulator = BigQueryEmulator(tmp_path / "gcs")
    with emulator.serve() as url:
        done = run_flow(blueprint("bigquery_load_and_export"), tmp_path, env={"BIGQUERY_EMULATOR_HOST": url},
                        inputs={"bucket": "warehouse"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "loaded 3 rows (15 units), exported to gs://warehouse/exports/stock-*.json.gz" in done.stdout
    assert (tmp_path / "gcs" / "warehouse" / "exports" / "stock-000000000000.json.gz").exists()
