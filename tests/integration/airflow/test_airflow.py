"""airflow.dags.TriggerDagRun against the Airflow REST API test double (double.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.airflow.double import PASSWORD, USER, AirflowDouble
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed


@pytest.fixture
def airflow() -> Iterator[tuple[AirflowDouble, str]]:
    double = AirflowDouble({"example_astronauts": "success", "broken": "failed"})
    with double.serve() as url:
        yield double, url


def _task(url: str, dag: str, **more: object) -> dict[str, object]:
    return {"id": "dag", "type": "io.kestra.plugin.airflow.dags.TriggerDagRun", "baseUrl": url, "dagId": dag,
            "options": {"basicAuthUser": USER, "basicAuthPassword": PASSWORD}, "pollFrequency": "PT0.05S", **more}


def test_trigger_and_wait_for_success(harness: Harness, airflow: tuple[AirflowDouble, str]) -> None:
    double, url = airflow
    out = harness.run(_task(url, "example_astronauts", wait=True, body={"conf": {"source": "kestra", "n": "{{ 40 + 2 }}"}}))
    assert out["dagId"] == "example_astronauts" and out["dagRunId"] == "manual__0" and out["state"] == "success"
    assert out["started"] and out["ended"]
    assert double.runs["manual__0"]["body"] == {"conf": {"source": "kestra", "n": 42}}
    assert double.runs["manual__0"]["reads"] == 3


def test_default_conf_and_no_wait(harness: Harness, airflow: tuple[AirflowDouble, str]) -> None:
    double, url = airflow
    ctx = harness.context()
    out = harness.run(_task(url, "example_astronauts"), ctx)
    assert out == {"dagId": "example_astronauts", "dagRunId": "manual__0", "state": "queued"}
    conf = double.runs["manual__0"]["body"]["conf"]
    assert conf["source"] == "kestra" and conf["task"] == "dag" and conf["execution"] == ctx.execution.id
    assert double.runs["manual__0"]["reads"] == 0


def test_a_failed_run_is_reported_and_warns(harness: Harness, airflow: tuple[AirflowDouble, str]) -> None:
    _, url = airflow
    ctx = harness.context()
    out = harness.run(_task(url, "broken", wait=True), ctx)
    assert out["state"] == "failed" and ctx.effects.warning is True


def test_unknown_dag_and_bad_credentials(harness: Harness, airflow: tuple[AirflowDouble, str]) -> None:
    _, url = airflow
    with pytest.raises(TaskFailed, match="HTTP 404"):
        harness.run(_task(url, "nope"))
    with pytest.raises(TaskFailed, match="HTTP 401"):
        harness.run({**_task(url, "example_astronauts"), "options": {"basicAuthUser": USER, "basicAuthPassword": "x"}})
