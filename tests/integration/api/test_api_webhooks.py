"""Webhook triggers against a running server (SQLite and PostgreSQL): body/headers/parameters in `trigger.*`,
conditions (204), one 404 body for every miss, constant-time key checks, the body limit, wait and
returnOutputs, and a webhook body that stays data."""

from __future__ import annotations

import base64
import hmac
import time
from typing import Any

import httpx
import pytest

from legato.api import webhooks as webhook_routes
from legato.services import webhooks

YAML = {"Content-Type": "application/x-yaml"}
API = "/api/v1/main"
KEY = "k3y-4wjtkzwVGBM9yKnjm3yv8r"
HOOKED = """id: hooked
namespace: {ns}
inputs:
  - id: who
    type: STRING
    defaults: nobody
tasks:
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ inputs.who }}}}"
outputs:
  - id: greeting
    type: STRING
    value: "hello {{{{ outputs.echo.value }}}}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: {key}
    inputs:
      who: "{{{{ trigger.body.name ?? 'anonymous' }}}}"
    labels:
      source: webhook
  - id: gated
    type: trigger.Webhook
    key: gated-{key}
    conditions:
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{{{ trigger.body.hello == 'world' }}}}"
  - id: waiting
    type: io.kestra.core.models.triggers.types.Webhook
    key: wait-{key}
    wait: true
    returnOutputs: true
  - id: plain
    type: trigger.Webhook
    key: plain-{key}
    wait: true
    returnOutputs: true
    responseContentType: text/plain
  - id: off
    type: trigger.Webhook
    key: off-{key}
    disabled: true
"""
FAILING = """id: failing
namespace: {ns}
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: broken
triggers:
  - id: hook
    type: trigger.Webhook
    key: {key}
    wait: true
"""


def _deploy(client: httpx.Client, source: str) -> None:
    response = client.post(f"{API}/flows", content=source, headers=YAML)
    assert response.status_code == 200, response.text


def _hook(ns: str, flow: str = "hooked", key: str = KEY) -> str:
    return f"{API}/executions/webhook/{ns}/{flow}/{key}"


def _ended(client: httpx.Client, execution_id: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"{API}/executions/{execution_id}").json()
        if body["state"]["current"] in ("SUCCESS", "FAILED", "WARNING", "KILLED") and body["state"]["endDate"]:
            return body
        time.sleep(0.05)
    raise AssertionError(f"execution {execution_id} did not end")


def test_post_json_body_headers_parameters_reach_the_execution(client: httpx.Client, ns: str) -> None:
    _deploy(client, HOOKED.format(ns=ns, key=KEY))
    response = client.post(_hook(ns) + "?tag=a&tag=b&one=1", json={"name": "Ada", "tags": [1, 2]},
                           headers={"X-Event": "push"})
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["namespace"] == ns and created["flowId"] == "hooked"
    trigger = created["trigger"]
    assert trigger["body"] == {"name": "Ada", "tags": [1, 2]}
    assert trigger["headers"]["x-event"] == ["push"]
    assert trigger["parameters"] == {"tag": ["a", "b"], "one": ["1"]}
    assert {"key": "source", "value": "webhook"} in created["labels"]
    ended = _ended(client, created["id"])
    assert ended["state"]["current"] == "SUCCESS"
    assert ended["outputs"] == {"greeting": "hello Ada"}


def test_get_and_put_and_text_and_binary_bodies(client: httpx.Client, ns: str) -> None:
    _deploy(client, HOOKED.format(ns=ns, key=KEY))
    got = client.get(_hook(ns) + "?x=1")
    assert got.status_code == 200 and got.json()["trigger"]["body"] is None
    assert got.json()["trigger"]["parameters"] == {"x": ["1"]}
    put = client.put(_hook(ns), content=b"just text {{ 7*7 }}", headers={"Content-Type": "text/plain"})
    assert put.status_code == 200
    assert put.json()["trigger"]["body"] == "just text {{ 7*7 }}"  # data stays data: never rendered
    raw = bytes(range(256))
    binary = client.post(_hook(ns), content=raw, headers={"Content-Type": "application/octet-stream"})
    assert base64.b64decode(binary.json()["trigger"]["body"]) == raw
    not_json = client.post(_hook(ns), content=b"{broken", headers={"Content-Type": "application/json"})
    assert not_json.json()["trigger"]["body"] == "{broken"


def test_a_template_in_the_body_is_not_rendered_in_inputs(client: httpx.Client, ns: str) -> None:
    _deploy(client, HOOKED.format(ns=ns, key=KEY))
    created = client.post(_hook(ns), json={"name": "{{ 7*7 }}"}).json()
    ended = _ended(client, created["id"])
    assert ended["inputs"]["who"] == "{{ 7*7 }}"
    assert ended["outputs"] == {"greeting": "hello {{ 7*7 }}"}


def test_conditions_false_answer_204_and_create_nothing(client: httpx.Client, server: Any, ns: str) -> None:
    _deploy(client, HOOKED.format(ns=ns, key=KEY))
    before = client.get(f"{API}/executions/search", params={"namespace": ns}).json()["total"]
    miss = client.post(_hook(ns, key=f"gated-{KEY}"), json={"hello": "moon"})
    assert miss.status_code == 204 and miss.content == b""
    wrong_shape = client.post(_hook(ns, key=f"gated-{KEY}"), content=b"text", headers={"Content-Type": "text/plain"})
    assert wrong_shape.status_code == 204
    assert client.get(f"{API}/executions/search", params={"namespace": ns}).json()["total"] == before
    hit = client.post(_hook(ns, key=f"gated-{KEY}"), json={"hello": "world"})
    assert hit.status_code == 200


def test_every_miss_answers_the_same_404(client: httpx.Client, ns: str) -> None:
    _deploy(client, HOOKED.format(ns=ns, key=KEY))
    misses = [
        client.post(_hook(ns, key="wrong-key")),  # wrong key
        client.post(_hook(ns, key=KEY[:-1])),  # a prefix of the key
        client.post(_hook(ns, flow="nope")),  # missing flow
        client.post(_hook("no.such.ns")),  # missing namespace
        client.post(_hook(ns, key=f"off-{KEY}")),  # trigger disabled in the source
    ]
    assert {r.status_code for r in misses} == {404}
    assert len({r.content for r in misses}) == 1
    assert misses[0].json() == {"message": "webhook not found", "details": []}
    # A trigger disabled by an operator, then a disabled flow: the same answer.
    toggled = client.put(f"{API}/triggers", json={"namespace": ns, "flowId": "hooked", "triggerId": "hook",
                                                   "disabled": True})
    assert toggled.status_code == 200 and toggled.json()["disabled"] is True
    assert client.post(_hook(ns)).content == misses[0].content
    client.put(f"{API}/triggers", json={"namespace": ns, "flowId": "hooked", "triggerId": "hook", "disabled": False})
    assert client.post(_hook(ns)).status_code == 200
    disabled = HOOKED.format(ns=ns, key=KEY).replace("tasks:", "disabled: true\ntasks:", 1)
    assert client.put(f"{API}/flows/{ns}/hooked", content=disabled, headers=YAML).status_code == 200
    assert client.post(_hook(ns)).content == misses[0].content


def test_key_checks_are_constant_time(monkeypatch: pytest.MonkeyPatch, client: httpx.Client, ns: str) -> None:
    """Every candidate key goes through hmac.compare_digest, and a missing flow still makes one comparison."""
    _deploy(client, HOOKED.format(ns=ns, key=KEY))
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhooks.hmac, "compare_digest", spy)
    assert client.post(_hook(ns, key="wrong")).status_code == 404
    assert len(calls) == 5  # all five Webhook triggers of the flow compared, none skipped
    calls.clear()
    assert client.post(_hook(ns)).status_code == 200
    assert len(calls) == 5  # a match does not stop the comparisons early
    calls.clear()
    assert client.post(_hook(ns, flow="missing")).status_code == 404
    assert len(calls) == 1


def test_key_from_a_secret(monkeypatch: pytest.MonkeyPatch, client: httpx.Client, ns: str) -> None:
    monkeypatch.setenv("SECRET_HOOK_KEY", base64.b64encode(b"from-the-secret").decode())
    _deploy(client, HOOKED.format(ns=ns, key="\"{{ secret('HOOK_KEY') }}\""))
    assert client.post(_hook(ns, key="from-the-secret")).status_code == 200
    assert client.post(_hook(ns, key="{{ secret('HOOK_KEY') }}")).status_code == 404


def test_body_over_the_limit_answers_413(monkeypatch: pytest.MonkeyPatch, client: httpx.Client, ns: str) -> None:
    _deploy(client, HOOKED.format(ns=ns, key=KEY))
    monkeypatch.setattr(webhook_routes, "MAX_BODY", 64 * 1024)
    big = client.post(_hook(ns), content=b"x" * (64 * 1024 + 1), headers={"Content-Type": "text/plain"})
    assert big.status_code == 413 and "larger than" in big.json()["message"]

    def chunks() -> Any:  # no Content-Length: the limit holds while streaming
        for _ in range(65):
            yield b"y" * 1024

    streamed = client.post(_hook(ns), content=chunks(), headers={"Content-Type": "text/plain"})
    assert streamed.status_code == 413
    assert client.post(_hook(ns), content=b"x" * 1024, headers={"Content-Type": "text/plain"}).status_code == 200


def test_wait_and_return_outputs(client: httpx.Client, ns: str) -> None:
    _deploy(client, HOOKED.format(ns=ns, key=KEY))
    outputs = client.post(_hook(ns, key=f"wait-{KEY}"))
    assert outputs.status_code == 200 and outputs.json() == {"greeting": "hello nobody"}
    plain = client.post(_hook(ns, key=f"plain-{KEY}"))
    assert plain.status_code == 200 and plain.text == "hello nobody"
    assert plain.headers["content-type"].startswith("text/plain")
    waited = client.post(_hook(ns) + "?wait=true", json={"name": "Bo"})
    assert waited.status_code == 200
    assert waited.json()["state"]["current"] == "SUCCESS" and waited.json()["outputs"] == {"greeting": "hello Bo"}


def test_wait_on_a_failing_flow_answers_500_with_the_execution(client: httpx.Client, ns: str) -> None:
    _deploy(client, FAILING.format(ns=ns, key=KEY))
    response = client.post(_hook(ns, flow="failing"))
    assert response.status_code == 500
    assert response.json()["state"]["current"] == "FAILED"


def test_bad_inputs_answer_422(client: httpx.Client, ns: str) -> None:
    source = HOOKED.format(ns=ns, key=KEY).replace("type: STRING\n    defaults: nobody", "type: INT\n    defaults: 1")
    _deploy(client, source)
    response = client.post(_hook(ns), json={"name": "not a number"})
    assert response.status_code == 422
    assert "who" in response.text


def test_webhooks_need_no_credentials(auth_server: Any, ns: str) -> None:
    with auth_server.client(auth=("admin", "s3cret")) as admin:
        _deploy(admin, HOOKED.format(ns=ns, key=KEY))
    with auth_server.client() as anonymous:
        assert anonymous.post(_hook(ns)).status_code == 200
        assert anonymous.post(_hook(ns, key="wrong")).status_code == 404
        assert anonymous.get(f"{API}/flows/{ns}/hooked").status_code == 401
