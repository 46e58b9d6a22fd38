"""Namespace secrets and the audit log through the API, on SQLite and PostgreSQL: values never come back,
children inherit, flows read them with secret() (masked in logs and outputs), and every change is in the
audit log with its actor, address and diff, searchable and exportable as JSON lines."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from tests.builders import log_flow
from tests.integration.api.conftest import LiveServer

API = "/api/v1/main"
YAML = {"Content-Type": "application/x-yaml"}
VALUE = "api-secret-5c1e9b7d"


def secrets(ns: str, key: str = "") -> str:
    return f"{API}/namespaces/{ns}/secrets" + (f"/{key}" if key else "")


def _put(client: httpx.Client, ns: str, key: str, value: str, **extra: Any) -> httpx.Response:
    return client.put(secrets(ns), json={"key": key, "value": value, **extra})


def test_values_are_never_returned(client: httpx.Client, ns: str) -> None:
    answer = _put(client, ns, "DB_PASSWORD", VALUE, description="warehouse", tags=[{"key": "team", "value": "data"}])
    assert answer.status_code == 200, answer.text
    assert VALUE not in answer.text
    assert answer.json()["tags"] == [{"key": "team", "value": "data"}]
    listed = client.get(secrets(ns))
    assert listed.status_code == 200 and VALUE not in listed.text
    body = listed.json()
    assert body["total"] == 1 and body["readOnly"] is False
    assert {k: body["results"][0][k] for k in ("key", "description")} == {"key": "DB_PASSWORD", "description": "warehouse"}
    patched = client.patch(secrets(ns, "DB_PASSWORD"), json={"description": "renamed"})
    assert patched.status_code == 200 and patched.json()["description"] == "renamed" and VALUE not in patched.text
    assert client.delete(secrets(ns, "DB_PASSWORD")).status_code == 204
    assert client.delete(secrets(ns, "DB_PASSWORD")).status_code == 404
    assert client.get(secrets(ns)).json()["total"] == 0


def test_bad_input_is_a_4xx_with_a_message(client: httpx.Client, ns: str) -> None:
    assert _put(client, ns, "bad key", "v").status_code == 422
    assert _put(client, ns, "K", "").status_code == 422
    dup = _put(client, ns, "K", "v", tags=[{"key": "a", "value": "1"}, {"key": "a", "value": "2"}])
    assert dup.status_code == 400 and "each key may appear once" in dup.json()["message"]
    assert client.patch(secrets(ns, "MISSING"), json={"description": "x"}).status_code == 404
    assert client.get(f"{API}/namespaces/Bad Namespace/secrets").status_code == 422


def test_children_inherit_and_flows_read_them_masked(server: LiveServer, client: httpx.Client, ns: str) -> None:
    assert _put(client, ns, "TOKEN", VALUE).status_code == 200
    child = f"{ns}.team"
    assert client.get(f"{API}/namespaces/{child}/inherited-secrets").json() == {ns: ["TOKEN"]}
    flow = f"""id: reader
namespace: {child}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "token={{{{ secret('TOKEN') }}}} b64={{{{ secret('TOKEN') | base64encode }}}}"
  - id: out
    type: io.kestra.plugin.core.output.OutputValues
    values:
      token: "{{{{ secret('TOKEN') }}}}"
"""
    assert client.post(f"{API}/flows", content=flow, headers=YAML).status_code == 200
    execution = client.post(f"{API}/executions/{child}/reader", params={"wait": True}).json()
    assert execution["state"]["current"] == "SUCCESS", execution
    logs = client.get(f"{API}/logs/{execution['id']}").text
    runs = client.get(f"{API}/executions/{execution['id']}").text
    encoded = base64.b64encode(VALUE.encode()).decode()
    for text in (logs, runs):
        assert VALUE not in text and encoded not in text
    assert "token=******" in logs and "b64=******" in logs
    reads = client.get(f"{API}/auditlogs/search", params={"resource": "SECRET", "type": "READ", "namespace": ns}).json()
    assert reads["total"] >= 1
    assert reads["results"][0]["details"]["executionId"] == execution["id"]


def test_the_audit_log_is_searchable_and_exportable(auth_server: LiveServer, ns: str) -> None:
    with auth_server.client(auth=("admin", "s3cret")) as client:
        flow = log_flow("audited", ns, "one")
        assert client.post(f"{API}/flows", content=flow, headers=YAML).status_code == 200
        assert client.put(f"{API}/flows/{ns}/audited", content=flow.replace("one", "two"), headers=YAML).status_code == 200
        assert _put(client, ns, "K", VALUE).status_code == 200
        found = client.get(f"{API}/auditlogs/search", params={"namespace": ns, "sort": "date:asc"})
        assert found.status_code == 200, found.text
        body = found.json()
        assert [(r["type"], r["resource"], r["resourceId"]) for r in body["results"]] == [
            ("CREATE", "FLOW", f"{ns}.audited"), ("UPDATE", "FLOW", f"{ns}.audited"), ("CREATE", "SECRET", f"{ns}/K")]
        assert {(r["userId"], r["actorKind"], r["ipAddress"], r["tenantId"]) for r in body["results"]} == {
            ("admin", "user", "127.0.0.1", "main")}
        assert "+    message: two" in body["results"][1]["details"]["diff"]
        assert VALUE not in found.text
        only = client.get(f"{API}/auditlogs/search", params={"namespace": ns, "resource": "SECRET", "userId": "admin"})
        assert only.json()["total"] == 1
        later = client.get(f"{API}/auditlogs/search", params={"namespace": ns, "startDate": "2999-01-01T00:00:00Z"})
        assert later.json()["total"] == 0
        assert client.get(f"{API}/auditlogs/search", params={"startDate": "2026-01-01T00:00:00"}).status_code == 400
        exported = client.get(f"{API}/auditlogs/export", params={"namespace": ns})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in exported.text.splitlines()]
        assert [line["id"] for line in lines] == [r["id"] for r in body["results"]]
    with httpx.Client(base_url=auth_server.url) as anonymous:
        assert anonymous.get(f"{API}/auditlogs/search").status_code == 401




def test_kv_writes_are_audited_without_their_values(client: httpx.Client, ns: str) -> None:
    assert client.put(f"{API}/namespaces/{ns}/kv/k", content='"kv-value-1"', headers={"Content-Type": "application/json"}).status_code == 204
    assert client.put(f"{API}/namespaces/{ns}/kv/k", content="42", headers={"ttl": "PT1H"}).status_code == 204
    assert client.delete(f"{API}/namespaces/{ns}/kv/k").status_code == 204
    found = client.get(f"{API}/auditlogs/search", params={"namespace": ns, "resource": "KVSTORE", "sort": "date:asc"})
    entries = found.json()["results"]
    assert [(e["type"], e["resourceId"]) for e in entries] == [("CREATE", f"{ns}/k"), ("UPDATE", f"{ns}/k"), ("DELETE", f"{ns}/k")]
    assert entries[1]["details"]["before"] == {"type": "STRING", "expiresAt": None}
    assert entries[1]["details"]["after"]["type"] == "NUMBER" and entries[1]["details"]["after"]["expiresAt"]
    assert "kv-value-1" not in found.text


def test_namespace_file_writes_are_audited(client: httpx.Client, ns: str) -> None:
    files = f"{API}/namespaces/{ns}/files"
    assert client.post(files, params={"path": "/scripts/a.py"}, files={"fileContent": ("x", b"print(1)")}).status_code == 201
    assert client.post(files, params={"path": "/scripts/a.py"}, files={"fileContent": ("x", b"print(2)")}).status_code == 201
    assert client.put(files, params={"from": "/scripts/a.py", "to": "/scripts/b.py"}).status_code == 204
    assert client.delete(files, params={"path": "/scripts"}).status_code == 204
    found = client.get(f"{API}/auditlogs/search", params={"namespace": ns, "resource": "NAMESPACE_FILE",
                                                         "sort": "date:asc"}).json()["results"]
    assert [(e["type"], e["resourceId"]) for e in found] == [
        ("CREATE", f"{ns}:/scripts/a.py"), ("UPDATE", f"{ns}:/scripts/a.py"), ("MOVE", f"{ns}:/scripts/a.py"),
        ("DELETE", f"{ns}:/scripts")]
    assert found[1]["details"]["before"]["size"] == 8 and found[1]["details"]["after"]["sha256"] != found[1]["details"]["before"]["sha256"]
    assert found[2]["details"] == {"from": "/scripts/a.py", "to": "/scripts/b.py"}
