"""airbyte.connections.Sync/CheckStatus and airbyte.cloud.jobs.Sync/Reset against the Airbyte API test
doubles (double.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.airbyte.double import CLIENT_ID, CLIENT_SECRET, PASSWORD, USER, AirbyteDouble
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed


@pytest.fixture
def airbyte() -> Iterator[tuple[AirbyteDouble, str]]:
    double = AirbyteDouble()
    with double.serve() as url:
        yield double, url


def _sync(url: str, connection: str, **more: object) -> dict[str, object]:
    return {"id": "sync", "type": "io.kestra.plugin.airbyte.connections.Sync", "url": url, "username": USER,
            "password": PASSWORD, "connectionId": connection, "pollFrequency": "PT0.05S", **more}


def test_sync_follows_the_job_logs_its_lines_and_reports_stream_metrics(harness: Harness,
                                                                       airbyte: tuple[AirbyteDouble, str]) -> None:
    double, url = airbyte
    ctx = harness.context()
    assert harness.run(_sync(url, "conn-1"), ctx) == {"jobId": 100, "alreadyRunning": False}
    assert double.requests[0].path == "/api/v1/connections/sync/" and double.requests[0].body == {"connectionId": "conn-1"}
    messages = [m for _, m in harness.messages(ctx)]
    assert messages.count("2026-01-01 10:00:00 INFO i.a.w.g.DefaultReplicationWorker(run):1 - start sync") == 1
    assert "2026-01-01 10:00:05 INFO - sync summary: 10 records" in messages
    metrics = {(m["name"], m.get("tags", {}).get("stream")): m["value"] for m in ctx.effects.extra["metrics"]}
    assert metrics[("records.committed", "users")] == 10 and metrics[("bytes.emitted", "users")] == 2048
    assert metrics[("attempts.count", None)] == 1


def test_a_failed_job_and_an_active_sync(harness: Harness, airbyte: tuple[AirbyteDouble, str]) -> None:
    _, url = airbyte
    ctx = harness.context()
    with pytest.raises(TaskFailed, match="Airbyte job 100 ended 'failed' after 1 attempt"):
        harness.run(_sync(url, "failing"), ctx)
    assert ("ERROR", "2026-01-01 10:00:05 ERROR[source] - connection refused") in harness.messages(ctx)
    with pytest.raises(TaskFailed, match="a sync is already running"):
        harness.run(_sync(url, "busy"))
    assert harness.run(_sync(url, "busy", failOnActiveSync=False)) == {"jobId": None, "alreadyRunning": True}


def test_no_wait_then_check_status_with_application_credentials(harness: Harness, airbyte: tuple[AirbyteDouble, str]) -> None:
    double, url = airbyte
    started = harness.run(_sync(url, "conn-2", wait=False))
    checked = harness.run({"id": "check", "type": "io.kestra.plugin.airbyte.connections.CheckStatus", "url": url,
                           "applicationCredentials": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET},
                           "jobId": str(started["jobId"]), "pollFrequency": "PT0.05S"})
    assert checked == {"finalJobStatus": "succeeded"}
    assert double.requests[-1].headers["authorization"] == "Bearer airbyte-access-token"
    with pytest.raises(TaskFailed, match="HTTP 401"):
        harness.run(_sync(url, "conn-3", password="wrong"))


def test_cloud_sync_and_reset(harness: Harness, airbyte: tuple[AirbyteDouble, str]) -> None:
    double, url = airbyte
    ctx = harness.context()
    out = harness.run({"id": "cloud", "type": "io.kestra.plugin.airbyte.cloud.jobs.Sync", "url": f"{url}/v1",
                       "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "tokenURL": f"{url}/v1/applications/token",
                       "connectionId": "c-9", "pollFrequency": "PT0.05S"}, ctx)
    assert out["job"]["status"] == "succeeded" and out["job"]["rowsSynced"] == 25 and out["job"]["duration"] == "PT1M30S"
    assert {m["name"]: m["value"] for m in ctx.effects.extra["metrics"]} == {"bytes_synced": 4096, "rows_synced": 25}
    reset = harness.run({"id": "reset", "type": "io.kestra.plugin.airbyte.cloud.jobs.Reset", "url": f"{url}/v1",
                         "username": USER, "password": PASSWORD, "connectionId": "c-9", "wait": False})
    assert reset["job"]["jobType"] == "reset" and reset["job"]["status"] == "pending"
    assert double.requests[-1].body == {"connectionId": "c-9", "jobType": "reset"}
