"""dbt.cloud.TriggerRun and CheckStatus against the dbt Cloud API test double (cloud_double.py): the trigger
body, following the run to its end with its step logs, the artifacts stored and parsed into nodes, a failed
run, `wait: false`, a bad token."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from tests.integration.dbt_cli_cloud.cloud_double import TOKEN, DbtCloudDouble
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage


@pytest.fixture
def cloud() -> Iterator[tuple[DbtCloudDouble, str]]:
    double = DbtCloudDouble(failing_jobs=(13,))
    with double.serve() as url:
        yield double, url


def _task(url: str, **more: object) -> dict[str, object]:
    return {"id": "dbt_cloud", "type": "io.kestra.plugin.dbt.cloud.TriggerRun", "baseUrl": url, "accountId": "4242",
            "token": TOKEN, "jobId": "12", "pollFrequency": "PT0.05S", **more}


def test_trigger_run_follows_the_run_and_parses_its_artifacts(harness: Harness, storage: LocalStorage,
                                                               cloud: tuple[DbtCloudDouble, str]) -> None:
    double, url = cloud
    ctx = harness.context(storage=storage)
    out = harness.run(_task(url, gitBranch="main", stepsOverride=["dbt build --select orders"], threadsOverride="4"), ctx)
    assert out["runId"] == 70000
    trigger = double.requests[0]
    assert trigger.path == "/api/v2/accounts/4242/jobs/12/run/"
    assert trigger.body == {"cause": "Triggered by Kestra.", "git_branch": "main", "threads_override": "4",
                            "steps_override": ["dbt build --select orders"]}
    polls = [r for r in double.requests if r.path == "/api/v2/accounts/4242/runs/70000/"]
    assert len(polls) == 2 and json.loads(polls[0].query["include_related"][0]) == ["trigger", "job", "run_steps", "environment"]
    assert json.loads(storage.get(out["runResults"]))["results"][0]["unique_id"] == "model.shop.orders"
    assert "model.shop.orders" in json.loads(storage.get(out["manifest"]))["nodes"]
    model = out["nodes"][0]
    assert model["taskId"] == "model.shop.orders" and model["state"]["current"] == "SUCCESS"
    assert model["outputs"]["rowsAffected"] == 12 and model["outputs"]["relation"] == "analytics.prod.orders"
    messages = [m for _, m in harness.messages(ctx)]
    assert "Running with dbt=1.9.0" in messages and "Completed successfully" in messages
    assert messages.count("Running with dbt=1.9.0") == 1  # each step log line once, however many polls
    assert "model.shop.orders => success in 1.60s" in messages


def test_a_failed_run_fails_the_task_with_dbt_clouds_message(harness: Harness, storage: LocalStorage,
                                                             cloud: tuple[DbtCloudDouble, str]) -> None:
    _, url = cloud
    with pytest.raises(TaskFailed, match="ended with status 'Error' after 1 minute, 2 seconds: Database Error in model orders"):
        harness.run(_task(url, jobId="13"), harness.context(storage=storage))


def test_no_wait_then_check_status(harness: Harness, storage: LocalStorage, cloud: tuple[DbtCloudDouble, str]) -> None:
    double, url = cloud
    out = harness.run(_task(url, wait=False), harness.context(storage=storage))
    assert out == {"runId": 70000} and len(double.requests) == 1
    checked = harness.run({"id": "check", "type": "io.kestra.plugin.dbt.cloud.CheckStatus", "baseUrl": url,
                           "accountId": "4242", "token": TOKEN, "runId": "70000", "pollFrequency": "PT0.05S",
                           "parseRunResults": False}, harness.context(storage=storage))
    assert "nodes" not in checked and checked["runResults"].startswith("kestra:///")


def test_a_bad_token_fails_with_the_http_status(harness: Harness, storage: LocalStorage,
                                                cloud: tuple[DbtCloudDouble, str]) -> None:
    _, url = cloud
    with pytest.raises(TaskFailed, match=r"dbt Cloud: POST .*/jobs/12/run/ answered HTTP 401"):
        harness.run(_task(url, token="nope"), harness.context(storage=storage))
