"""The Google Sheets blueprint and example run unchanged with `legato flow run` against the Sheets test double:
LEGATO_GOOGLEWORKSPACE_ENDPOINT points the tasks at it, and the service account key's token_uri at its token
endpoint."""

from __future__ import annotations

from pathlib import Path

from tests.flow_cli import blueprint, run_flow
from tests.integration.googleworkspace.double import SheetsDouble, service_account
from tests.integration.objectstore_support import ROOT

from legato.plugins.googleworkspace.connection import ENDPOINT


def test_google_sheets_blueprint_runs_green(tmp_path: Path) -> None:
    double = SheetsDouble()
    with double.serve() as url:
        key, double.public_key = service_account(f"{url}/token")
        sid = double.add("Shop", {"Orders": [["id", "customer", "total", "paid"], [1, "ada", 120.5, True], [2, "bob", 40, False]],
                                  "Runs": [["execution", "rows"]]})
        done = run_flow(blueprint("google_sheets_to_csv"), tmp_path, env={ENDPOINT: url},
                        secrets={"GCP_SERVICE_ACCOUNT_JSON": key}, inputs={"spreadsheet_id": sid})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    runs = double.spreadsheets[sid]["sheets"][1]["rows"]
    assert len(runs) == 2 and runs[1][1] == "2"
    csv = next((tmp_path / "storage").rglob("*.csv"))
    assert csv.read_text().splitlines()[0] == "id,customer,total,paid"


def test_google_sheets_example_runs_green(tmp_path: Path) -> None:
    double = SheetsDouble()
    with double.serve() as url:
        key, double.public_key = service_account(f"{url}/token")
        done = run_flow((ROOT / "examples" / "google_sheets.yaml").read_text(), tmp_path, env={ENDPOINT: url},
                        secrets={"GCP_SERVICE_ACCOUNT_JSON": key})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert double.spreadsheets == {}  # created, filled, read, deleted
    assert "3 row(s) read back from Legato report" in done.stdout + done.stderr
