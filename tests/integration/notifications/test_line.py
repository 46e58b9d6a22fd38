"""line.LineExecution against the notification receiver (a test double of the LINE Messaging API's broadcast
endpoint: POST /v2/bot/message/broadcast, Bearer channel access token, `{"messages": [{"type": "text", "text"}]}`,
answering `{}`): the summary of a failed execution, a text of one's own, and the API's refusal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.notifications.flows import of, run, start
from tests.integration.notifications.receiver import Receiver, as_json
from tests.unit.plugins.conftest import Harness

from legato.model.state import State
from legato.plugins.context import TaskFailed
from legato.store import open_store
from legato.store.sql import SqlStore


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqlStore]:
    monkeypatch.setenv("LEGATO_URL", "https://legato.example.com")
    opened = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    opened.migrate()
    yield opened
    opened.close()


def test_line_broadcasts_the_summary_of_a_failed_execution(store: SqlStore, service: Receiver) -> None:
    service.routes["/v2/bot/message/broadcast"] = as_json(200, {})
    flow = f"""
id: revenue
namespace: notify.line
tasks:
  - id: close
    type: io.kestra.plugin.core.execution.Fail
errors:
  - id: line
    type: io.kestra.plugin.line.LineExecution
    url: {service.url}/v2/bot/message/broadcast
    channelAccessToken: line-token
    customMessage: "Critical flow reached a terminal state"
    customFields:
      Owner: Finance Ops
"""
    execution = start(store, [flow], "notify.line", "revenue")
    run(store, lambda: len(service.received) >= 1)
    [ended] = of(store, "revenue")
    assert ended.state == State.FAILED
    sent = service.last()
    assert sent.headers["authorization"] == "Bearer line-token"
    [message] = sent.json()["messages"]
    assert message["type"] == "text"
    text = message["text"]
    assert "[notify.line] revenue ➛ FAILED" in text and "Critical flow reached a terminal state" in text
    assert "Finance Ops" in text and f"https://legato.example.com/ui/executions/{execution.id}" in text


def test_line_text_body_and_a_refused_token(harness: Harness, service: Receiver) -> None:
    service.routes["/ok"] = as_json(200, {})
    service.routes["/refused"] = as_json(401, {"message": "Authentication failed. Confirm that the access token in the authorization header is valid."})
    base = "id: l\ntype: io.kestra.plugin.line.LineExecution\nchannelAccessToken: t\ntextBody: \"hello {{ 40 + 2 }}\"\n"
    harness.run(base + f"url: {service.url}/ok\n")
    assert service.last().json() == {"messages": [{"type": "text", "text": "hello 42"}]}
    with pytest.raises(TaskFailed, match=r"LINE broadcast failed.*401"):
        harness.run(base + f"url: {service.url}/refused\n")
