"""The Airbyte blueprint runs end to end with `legato flow run` against the Airbyte API test double."""

from __future__ import annotations

from pathlib import Path

from tests.flow_cli import ALLOW_LOOPBACK, blueprint, run_flow
from tests.integration.airbyte.double import PASSWORD, AirbyteDouble


def test_airbyte_sync_and_check_blueprint(tmp_path: Path) -> None:
    double = AirbyteDouble()
    with double.serve() as url:
        done = run_flow(blueprint("airbyte_sync_and_check"), tmp_path, env=ALLOW_LOOPBACK, secrets={"AIRBYTE_PASSWORD": PASSWORD},
                        inputs={"airbyte_url": url})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "users: succeeded, orders: succeeded" in done.stdout
    assert sorted(r.body["connectionId"] for r in double.requests if r.path == "/api/v1/connections/sync/") == [
        "orders-connection", "users-connection"]
