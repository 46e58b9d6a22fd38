"""Hostile input gets a 4xx naming the problem, never a 500 (issue 22, findings 7 and 8): a namespace with an
empty segment on every namespace-file endpoint and in `namespace.DeleteFiles`, a raw NUL in flow YAML, a JSON
body nested 100,000 deep, and `!!python/*` tags, which the YAML loader refuses like any other custom tag.
A real server (uvicorn on 127.0.0.1, SQLite, runtime running) answers each."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import httpx
import pytest

from legato.store import open_store
from tests.integration.api.conftest import _start

API = "/api/v1/main"
YAML = {"content-type": "application/x-yaml"}
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    data_dir = tmp_path_factory.mktemp("bad-input")
    for live in _start(open_store(f"sqlite:///{data_dir / 'legato.db'}"), data_dir, "sqlite"):
        with live.client() as client:
            yield client


@pytest.fixture
def ns() -> str:
    return f"test.bad.n{secrets.token_hex(4)}"


def _message(response: httpx.Response) -> str:
    message: str = response.json()["message"]
    return message


@pytest.mark.parametrize("namespace", ["a..b", "a.", ".a"])
def test_every_namespace_file_endpoint_refuses_an_empty_segment(client: httpx.Client, namespace: str) -> None:
    document = client.get("/api/openapi.json").json()
    probed = 0
    for template, operations in document["paths"].items():
        if "/namespaces/{namespace}/files" not in template:
            continue
        path = re.sub(
            r"\{[^}]+\}", "x", template.replace("{namespace}", namespace).replace("{tenant}", "main")
        )
        for method in operations:
            response = client.request(
                method.upper(),
                path,
                params={"path": "/f.txt", "from": "/a", "to": "/b"},
                files={"fileContent": ("f.txt", b"x")} if method == "post" else None,
            )
            probed += 1
            assert 400 <= response.status_code < 500, (method, path, response.text)
            if not namespace.startswith("."):  # '.a' is refused by the namespace pattern itself (422)
                assert "empty segment" in _message(response), (method, path, response.text)
    assert probed >= 7


def test_delete_files_with_an_empty_segment_fails_the_task_with_a_message(
    client: httpx.Client, ns: str
) -> None:
    flow = f"""id: cleanup
namespace: {ns}
tasks:
  - id: delete
    type: io.kestra.plugin.core.namespace.DeleteFiles
    namespace: "rt.."
    files: ["**"]
"""
    assert client.post(f"{API}/flows", content=flow, headers=YAML).status_code == 200
    execution = client.post(f"{API}/executions/{ns}/cleanup", params={"wait": True}).json()
    assert execution["state"]["current"] == "FAILED"
    logs = client.get(f"{API}/logs/{execution['id']}").json()
    messages = " ".join(line["message"] for line in logs)
    assert "property 'namespace': namespace 'rt..' has an empty segment" in messages, messages


def test_a_nul_in_flow_yaml_is_422_with_its_line(client: httpx.Client, ns: str) -> None:
    response = client.post(f"{API}/flows", content=f"id: f\nnamespace: {ns}\x00\ntasks: []\n", headers=YAML)
    assert response.status_code == 422, response.text
    [detail] = response.json()["details"]
    assert detail["line"] == 2
    assert "character 0x0000 is not allowed" in detail["message"]
    validated = client.post(f"{API}/flows/validate", content=f"id: f\nnamespace: {ns}\n\x00", headers=YAML)
    assert validated.status_code < 500, validated.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/executions/{ns}/f"),
        ("POST", "/executions/{ns}/f/validate"),
        ("PUT", "/namespaces/{ns}/kv/k"),
        ("POST", "/executions/x/resume"),
    ],
)
def test_json_nested_100000_deep_is_400(client: httpx.Client, ns: str, method: str, path: str) -> None:
    flow = f"id: f\nnamespace: {ns}\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    assert client.post(f"{API}/flows", content=flow, headers=YAML).status_code == 200
    response = client.request(
        method, API + path.format(ns=ns), content=DEEP, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object/apply:os.system ['id']",
        "!!python/object/new:os.system {}",
        "!!python/name:os.system",
        "!!python/tuple [1, 2]",
        "!!set {a: null}",
    ],
)
def test_python_tags_are_refused_like_custom_tags(client: httpx.Client, ns: str, tagged: str) -> None:
    flow = f"id: f\nnamespace: {ns}\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: {tagged}\n"
    response = client.post(f"{API}/flows", content=flow, headers=YAML)
    assert response.status_code == 422, response.text
    [detail] = response.json()["details"]
    assert detail["message"].startswith("unsupported YAML tag '!!"), detail
    assert (detail["path"], detail["line"]) == ("tasks[0].message", 6)
