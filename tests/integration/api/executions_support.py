"""What the API execution tests share: the flows they deploy (templates with `{ns}` for the test's own namespace)
and the calls they make to deploy, start and wait for executions."""

from __future__ import annotations

import time
from typing import Any

import httpx

YAML = {"Content-Type": "application/x-yaml"}
API = "/api/v1/main"

THREE_TASKS = """id: three
namespace: {ns}
labels:
  team: data
inputs:
  - id: name
    type: STRING
  - id: count
    type: INT
    defaults: 2
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: "hello {{{{ inputs.name }}}}"
  - id: b
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ outputs.a.value }}}}"
  - id: c
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ inputs.count * 2 }}}}"
"""

FAILS_AT_ONCE = """id: failing
namespace: {ns}
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: broken
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: done
"""

FAILS_SECOND = """id: failing
namespace: {ns}
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: kept
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: broken
"""


def deploy(client: httpx.Client, template: str, ns: str) -> None:
    response = client.post(f"{API}/flows", content=template.format(ns=ns), headers=YAML)
    assert response.status_code == 200, response.text


def start(client: httpx.Client, ns: str, flow_id: str, **kwargs: Any) -> httpx.Response:
    return client.post(f"{API}/executions/{ns}/{flow_id}", **kwargs)


def until_state(client: httpx.Client, execution_id: str, *states: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(f"{API}/executions/{execution_id}").json()
        if body["state"]["current"] in states:
            return body
        assert time.monotonic() < deadline, f"still {body['state']['current']}, expected {states}"
        time.sleep(0.05)


def task_run(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    return next(r for r in body["taskRunList"] if r["taskId"] == task_id)


def run(client: httpx.Client, ns: str, flow_id: str = "three", **inputs: Any) -> dict[str, Any]:
    """Start an execution and wait for its end (inputs default to `name: Ada`)."""
    body: dict[str, Any] = start(client, ns, flow_id, params={"wait": True}, json=inputs or {"name": "Ada"}).json()
    return body
