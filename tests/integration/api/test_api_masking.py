"""Secrets are masked in the values of API responses, never in their keys: a SECRET input as short as one
character, or equal to a key's name, leaves every response whole (no 500, no renamed field)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.integration.api.executions_support import API, deploy, start, task_run

from legato.expressions.secrets import MIN_IN_TEXT

FLOW = """id: shapes
namespace: {ns}
inputs:
  - id: token
    type: SECRET
  - id: user
    type: STRING
tasks:
  - id: whole
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ inputs.token }}}}"
  - id: inside
    type: io.kestra.plugin.core.debug.Return
    format: "token={{{{ inputs.token }}}} user={{{{ inputs.user }}}}"
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ inputs.token }}}}"
"""


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    """(kind, item) for every key ("key") and every scalar value ("value") of a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield "key", k
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
    else:
        yield "value", value


def _check(body: Any, secret: str) -> None:
    """No key touched, and the secret nowhere in a value (as a whole value; inside one when long enough)."""
    for kind, item in _walk(body):
        if kind == "key":
            assert "******" not in item
        elif isinstance(item, str):
            assert item != secret
            if len(secret) >= MIN_IN_TEXT:
                assert secret not in item


def _events(client: httpx.Client, path: str) -> list[Any]:
    with client.stream("GET", path) as response:
        assert response.status_code == 200
        return [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]


@pytest.mark.parametrize("secret", ["x", "id", "state"])
def test_a_short_or_key_like_secret_leaves_every_response_whole(client: httpx.Client, ns: str, secret: str) -> None:
    deploy(client, FLOW, ns)
    created = start(client, ns, "shapes", params={"wait": True}, json={"token": secret, "user": "ada"})
    assert created.status_code == 200, created.text
    done = created.json()
    assert done["state"]["current"] == "SUCCESS"
    assert done["namespace"] == ns and done["flowId"] == "shapes"
    assert done["inputs"] == {"token": "******", "user": "ada"}
    assert task_run(done, "whole")["outputs"] == {"value": "******"}
    execution_id = done["id"]

    got = client.get(f"{API}/executions/{execution_id}")
    found = client.get(f"{API}/executions/search", params={"namespace": ns})
    assert got.status_code == 200 and found.status_code == 200
    assert got.json()["id"] == execution_id and found.json()["results"][0]["id"] == execution_id
    followed = _events(client, f"{API}/executions/{execution_id}/follow")
    assert followed[-1]["id"] == execution_id

    logs = client.get(f"{API}/logs/{execution_id}")
    searched = client.get(f"{API}/logs/search", params={"namespace": ns})
    assert logs.status_code == 200 and searched.status_code == 200
    followed_logs = _events(client, f"{API}/logs/{execution_id}/follow")
    assert [line["message"] for line in logs.json()] == ["******"]
    assert [line["message"] for line in followed_logs] == ["******"]
    download = client.get(f"{API}/logs/{execution_id}/download")
    assert download.status_code == 200 and download.text.rstrip().endswith("******")

    for body in (done, got.json(), found.json(), followed, logs.json(), searched.json(), followed_logs):
        _check(body, secret)
