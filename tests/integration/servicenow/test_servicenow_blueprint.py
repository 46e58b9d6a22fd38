"""The ServiceNow blueprint end to end with `legato flow run` against the Table API test double: a failure opens
one incident (not a second one on the next failure), a success resolves it."""

from __future__ import annotations

from pathlib import Path

from tests.flow_cli import ALLOW_LOOPBACK, blueprint, run_flow
from tests.integration.servicenow.double import PASSWORD, USER, ServiceNowDouble


def test_incident_opened_once_then_resolved(tmp_path: Path) -> None:
    double = ServiceNowDouble()
    with double.serve() as url:
        secrets = {"SERVICENOW_DOMAIN": url, "SERVICENOW_USERNAME": USER, "SERVICENOW_PASSWORD": PASSWORD}

        def run(failed: bool) -> str:
            done = run_flow(blueprint("servicenow_incident_on_failure"), tmp_path, env=ALLOW_LOOPBACK,
                            secrets=secrets, inputs={"failed": str(failed).lower()})
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
            return done.stdout

        assert "opened" in run(True)
        assert "opened" not in run(True)  # already open: not a second one
        [incident] = double.tables["incident"].values()
        assert incident["short_description"] == "Flow company.team.nightly_load failed" and incident["active"] == "true"
        run(False)
        assert incident["state"] == "6" and incident["active"] == "false"
