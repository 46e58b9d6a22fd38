"""Logs through the API: by execution (level, task run, attempt), search, download, follow (SSE)."""

from __future__ import annotations

import json
from typing import Any

import httpx

YAML = {"Content-Type": "application/x-yaml"}
API = "/api/v1/main"

LOGGING = """id: chatty
namespace: {ns}
tasks:
  - id: info
    type: io.kestra.plugin.core.log.Log
    message: "plain {{{{ execution.id }}}}"
  - id: warn
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: careful now
  - id: pause
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.3S
  - id: error
    type: io.kestra.plugin.core.log.Log
    level: ERROR
    message: [first bad, second bad]
"""


def run(client: httpx.Client, ns: str) -> dict[str, Any]:
    assert client.post(f"{API}/flows", content=LOGGING.format(ns=ns), headers=YAML).status_code == 200
    body: dict[str, Any] = client.post(f"{API}/executions/{ns}/chatty", params={"wait": True}).json()
    assert body["state"]["current"] == "SUCCESS"
    return body


def messages(entries: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in entries]


def test_logs_of_an_execution_with_filters(client: httpx.Client, ns: str) -> None:
    execution = run(client, ns)
    url = f"{API}/logs/{execution['id']}"
    every = client.get(url).json()
    assert messages(every)[-4:] == ["careful now", "Waiting for PT0.3S", "first bad", "second bad"]
    assert f"plain {execution['id']}" in messages(every)
    first = every[0]
    assert (first["executionId"], first["namespace"], first["flowId"]) == (execution["id"], ns, "chatty")
    assert messages(client.get(url, params={"minLevel": "WARN"}).json()) == ["careful now", "first bad", "second bad"]
    warn_run = next(r for r in execution["taskRunList"] if r["taskId"] == "warn")
    only_warn = client.get(url, params={"taskRunId": warn_run["id"]}).json()
    assert messages(only_warn) == ["careful now"] and only_warn[0]["taskId"] == "warn"
    attempts = {e["attemptNumber"] for e in every if e["taskRunId"]}
    assert client.get(url, params={"attempt": min(attempts)}).json()
    assert client.get(url, params={"attempt": 99}).json() == []
    assert client.get(url, params={"minLevel": "LOUD"}).status_code == 422
    assert client.get(f"{API}/logs/unknown").status_code == 404


def test_download_is_text_attachment(client: httpx.Client, ns: str) -> None:
    execution = run(client, ns)
    response = client.get(f"{API}/logs/{execution['id']}/download", params={"minLevel": "ERROR"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert f'filename="{execution["id"]}.log"' in response.headers["content-disposition"]
    lines = response.text.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("ERROR [error] first bad")


def test_search_across_executions(client: httpx.Client, ns: str) -> None:
    one, two = run(client, ns), client.post(f"{API}/executions/{ns}/chatty", params={"wait": True}).json()
    found = client.get(f"{API}/logs/search", params={"namespace": ns, "q": "CAREFUL", "size": 50}).json()
    assert found["total"] == 2
    assert {e["executionId"] for e in found["results"]} == {one["id"], two["id"]}
    errors = client.get(f"{API}/logs/search", params={"namespace": ns, "minLevel": "ERROR", "size": 1}).json()
    assert errors["total"] == 4 and len(errors["results"]) == 1
    oldest = client.get(f"{API}/logs/search", params={"namespace": ns, "sort": "timestamp:asc", "size": 1}).json()
    assert oldest["results"][0]["executionId"] == one["id"]
    none = client.get(f"{API}/logs/search", params={"namespace": ns, "q": "no such text"}).json()
    assert none == {"results": [], "total": 0}


def test_follow_streams_every_line_then_ends(client: httpx.Client, ns: str) -> None:
    assert client.post(f"{API}/flows", content=LOGGING.format(ns=ns), headers=YAML).status_code == 200
    created = client.post(f"{API}/executions/{ns}/chatty").json()
    with client.stream("GET", f"{API}/logs/{created['id']}/follow") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        streamed = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]
    assert messages(streamed) == messages(client.get(f"{API}/logs/{created['id']}").json())
    assert messages(streamed)[-2:] == ["first bad", "second bad"]
    warn_only = client.get(f"{API}/logs/{created['id']}/follow", params={"minLevel": "WARN"})
    lines = [json.loads(line[6:]) for line in warn_only.text.splitlines() if line.startswith("data: ")]
    assert messages(lines) == ["careful now", "first bad", "second bad"]
