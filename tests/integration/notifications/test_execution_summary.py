"""The `*Execution` tasks in real flows: in `errors`, in `afterExecution`, and in Kestra's system-flow pattern (a
Flow trigger on FAILED reporting `{{ trigger.executionId }}`), each summary posted to the HTTP test double of
the service with the link to the execution in Legato's UI, its state, duration and failed task; on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.notifications.flows import of, run, start
from tests.integration.notifications.receiver import Receiver, text

from legato.model.state import State
from legato.store import open_store
from legato.store.sql import SqlStore


@pytest.fixture(params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SqlStore]:
    monkeypatch.setenv("LEGATO_URL", "https://legato.example.com/")
    url = (
        f"sqlite:///{tmp_path / 'legato.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    store = open_store(url)
    store.migrate()
    yield store
    store.close()


def failing_flow(url: str) -> str:
    return f"""
id: nightly
namespace: notify.prod
tasks:
  - id: extract
    type: io.kestra.plugin.core.log.Log
    message: extracting
  - id: load
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: the warehouse is down
errors:
  - id: alert
    type: io.kestra.plugin.notifications.slack.SlackExecution
    url: {url}/services/T/B/X
    channel: "#alerts"
    customMessage: "Nightly load of {{{{ flow.id }}}} failed"
    customFields:
      Team: data
      Env: prod
"""


def test_slack_execution_in_errors_names_the_failed_task(store: SqlStore, service: Receiver) -> None:
    service.routes["/services/"] = text(200, "ok")
    execution = start(store, [failing_flow(service.url)], "notify.prod", "nightly")
    run(store, lambda: bool(service.received))
    [ended] = of(store, "nightly")
    assert ended.state == State.FAILED
    message = service.last().json()
    link = f"https://legato.example.com/ui/executions/{execution.id}"
    title = f"*<{link}|[notify.prod] nightly ➛ FAILED>*\n> Failed on task `load` after "
    assert message["text"].startswith(title) and message["channel"] == "#alerts"
    assert message["blocks"][0] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "Nightly load of nightly failed"},
    }
    assert message["blocks"][1]["accessory"]["url"] == link
    [attachment] = message["attachments"]
    assert attachment["color"] == "danger"
    assert {f["title"]: f["value"] for f in attachment["fields"]} == {
        "Namespace": "notify.prod",
        "Flow ID": "nightly",
        "Execution ID": execution.id,
        "Execution Status": "FAILED",
        "Team": "data",
        "Env": "prod",
        "Final task ID": "load",
    }
    assert attachment["ts"] == int(execution.created.timestamp())
    assert service.last().path == "/services/T/B/X"
    logs = " ".join(r.message for r in store.logs(execution.id))
    assert "Loading execution data for the current execution." in logs and "/services/T/B/X" not in logs


def test_teams_execution_in_after_execution_reports_success(store: SqlStore, service: Receiver) -> None:
    service.routes["/teams"] = text(200, "1")
    flow = f"""
id: report
namespace: notify.prod
tasks:
  - id: work
    type: io.kestra.plugin.core.log.Log
    message: working
afterExecution:
  - id: tell
    type: io.kestra.plugin.notifications.teams.TeamsExecution
    url: {service.url}/teams
    activityTitle: "Report of {{{{ flow.id }}}}"
"""
    execution = start(store, [flow], "notify.prod", "report")
    run(store, lambda: bool(service.received))
    card = service.last().json()
    assert card["@type"] == "MessageCard" and card["themeColor"] == "0076D7"
    assert card["summary"].startswith("[notify.prod] report ➛ SUCCESS: Succeeded after ")
    [section] = card["sections"]
    assert section["activityTitle"] == "Report of report"
    facts = {f["name"]: f["value"] for f in section["facts"]}
    assert (
        facts["Execution Status"] == "SUCCESS"
        and facts["Final task ID"] == "work"
        and facts["Execution ID"] == execution.id
    )
    assert (
        card["potentialAction"][0]["targets"][0]["uri"]
        == f"https://legato.example.com/ui/executions/{execution.id}"
    )


def test_system_flow_with_a_flow_trigger_on_failed_reports_the_upstream_execution(
    store: SqlStore, service: Receiver
) -> None:
    service.routes["/zulip"] = text(200, '{"result": "success", "msg": ""}')
    upstream = """
id: etl
namespace: notify.prod.sales
tasks:
  - id: fetch
    type: io.kestra.plugin.core.log.Log
    message: fetching
  - id: transform
    type: io.kestra.plugin.core.execution.Fail
"""
    alerts = f"""
id: failure_alert
namespace: system
tasks:
  - id: send_alert
    type: io.kestra.plugin.notifications.zulip.ZulipExecution
    url: {service.url}/zulip
    executionId: "{{{{ trigger.executionId }}}}"
triggers:
  - id: on_failure
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [FAILED, WARNING]
      - type: io.kestra.plugin.core.condition.ExecutionNamespace
        namespace: notify.prod
        prefix: true
"""
    execution = start(store, [alerts, upstream], "notify.prod.sales", "etl")
    run(store, lambda: bool(service.received) and len(of(store, "failure_alert")) == 1)
    [alert] = of(store, "failure_alert")
    assert alert.state == State.SUCCESS
    message = service.last().json()
    assert message["text"].startswith(
        f"*<https://legato.example.com/ui/executions/{execution.id}|[notify.prod.sales] etl ➛ FAILED>*\n> Failed on task `transform` after "
    )
    fields = {f["title"]: f["value"] for f in message["attachments"][0]["fields"]}
    assert fields["Execution ID"] == execution.id and fields["Final task ID"] == "transform"
