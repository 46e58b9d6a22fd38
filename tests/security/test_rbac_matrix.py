"""The RBAC matrix (issue 18): every operation of the OpenAPI document, called by a user of each managed role
(bound on the instance), by the instance owner, without credentials, with a revoked and with an expired API
token, and with the token of an Admin of another tenant (bound there only), answers exactly as the access table says: allowed (neither 401 nor 403), 401, or 403 naming the missing
permission. A real server (uvicorn on 127.0.0.1, SQLite). Also: every route has a rule, and namespace bindings
reach children by exact prefix only."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from legato.api import access as table
from legato.clock import utcnow
from legato.identity import permissions
from legato.services import access, identity
from legato.services import executions as executions_service
from legato.services import flows as flows_service
from legato.services import tenants as tenants_service
from legato.services.principal import SYSTEM
from legato.store import open_store
from tests.integration.api.conftest import LiveServer, _start

PASSWORD = "matrix-password"
VALUES = {"tenant": "main", "namespace": "matrix.team", "flowId": "f", "id": "x1", "key": "k1",
          "executionId": "x1", "taskRunId": "x1", "triggerId": "t", "tokenId": "x1", "accountId": "x1",
          "cls": "io.kestra.plugin.core.log.Log", "action": "pause"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("rbac")
    yield from _start(open_store(f"sqlite:///{data_dir / 'legato.db'}"), data_dir, "sqlite")


@pytest.fixture(scope="module")
def callers(server: LiveServer) -> dict[str, dict[str, str]]:
    """Authorization headers by caller: 'owner', each managed role, 'none', 'revoked', 'expired', and
    'other-tenant' (an Admin of another tenant only)."""
    store, now = server.store, utcnow()
    found: dict[str, dict[str, str]] = {"none": {}}
    owner = identity.create_account(store, "USER", "owner", password=PASSWORD, owner=True, by=SYSTEM, now=now)
    found["owner"] = _bearer(identity.create_token(store, owner.id, "t", by=SYSTEM, now=now).text)
    for role in permissions.MANAGED:
        account = identity.create_account(store, "USER", f"user-{role}", password=PASSWORD, by=SYSTEM, now=now)
        access.create_binding(store, role, "USER", account.id, None, by=SYSTEM, now=now)
        found[role] = _bearer(identity.create_token(store, account.id, "t", by=SYSTEM, now=now).text)
    revoked = identity.create_token(store, owner.id, "revoked", by=SYSTEM, now=now)
    identity.revoke_token(store, owner.id, revoked.token.id, by=SYSTEM, now=now)
    found["revoked"] = _bearer(revoked.text)
    expired = identity.create_token(store, owner.id, "old", by=SYSTEM, now=now - timedelta(days=2),
                                    max_age=timedelta(days=1))
    found["expired"] = _bearer(expired.text)
    tenants_service.create_tenant(store, "elsewhere", by=SYSTEM, now=now)
    stranger = identity.create_account(store, "USER", "admin-elsewhere", password=PASSWORD, by=SYSTEM, now=now)
    access.create_binding(store, "admin", "USER", stranger.id, None, by=SYSTEM, now=now, tenant="elsewhere")
    found["other-tenant"] = _bearer(identity.create_token(store, stranger.id, "t", by=SYSTEM, now=now).text)
    return found


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _operations(client: httpx.Client, headers: dict[str, str] | None = None) -> list[tuple[str, str]]:
    document = client.get("/api/openapi.json", headers=headers or {}).json()
    return [(method.upper(), template) for template, ops in document["paths"].items()
            for method in ops if method in {"get", "post", "put", "patch", "delete"}]


def _fill(template: str) -> str:
    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", lambda m: VALUES.get(m.group(1), "x1"), template)


def _expected(rule: table.Rule, caller: str) -> str:
    if rule == table.PUBLIC:
        return "allowed"
    if rule == table.APP:  # an app's page: open without credentials (the app checks), bad ones still refused
        return "401" if caller in ("revoked", "expired") else "allowed"
    if caller in ("none", "revoked", "expired"):
        return "401"
    if rule == table.SIGNED_IN or caller == "owner":
        return "allowed"
    assert isinstance(rule, table.Need)
    if caller == "other-tenant":  # its Admin role holds in its own tenant only: nothing in main nor on the instance
        return "403"
    return "allowed" if (rule.resource, rule.action) in permissions.MANAGED[caller] else "403"


def _call(client: httpx.Client, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    body = b"{}" if method in {"POST", "PUT", "PATCH", "DELETE"} else None
    with client.stream(method, path, content=body, headers={**headers, "content-type": "application/json"}) as reply:
        if reply.headers.get("content-type", "").startswith("text/event-stream"):
            return reply  # a stream was opened: allowed; its body never ends
        reply.read()
        return reply


def test_every_operation_has_an_access_rule(server: LiveServer, callers: dict[str, dict[str, str]]) -> None:
    with server.client() as client:
        operations = _operations(client, callers["owner"])
    missing = [f"{m} {t}" for m, t in operations if table.rule(m, t) is None]
    assert missing == [], f"operations without an entry in legato.api.access.RULES: {missing}"
    assert len(operations) > 100


def test_rbac_matrix(server: LiveServer, callers: dict[str, dict[str, str]]) -> None:
    counts: Counter[str] = Counter()
    wrong: list[str] = []
    with server.client() as client:
        operations = _operations(client, callers["owner"])
        for method, template in operations:
            rule = table.rule(method, template)
            assert rule is not None
            for caller, headers in callers.items():
                reply = _call(client, method, _fill(template), headers)
                expected = _expected(rule, caller)
                got = str(reply.status_code) if reply.status_code in (401, 403) else "allowed"
                counts[expected] += 1
                if got != expected:
                    wrong.append(f"{caller} {method} {template}: expected {expected}, got {reply.status_code}")
                elif got == "403":
                    assert isinstance(rule, table.Need)
                    assert f"missing permission {rule}" in reply.json()["message"]
    total = sum(counts.values())
    print(f"\nRBAC matrix: {len(operations)} operations x {len(callers)} callers = {total} calls: "
          f"{counts['allowed']} allowed, {counts['401']} refused 401, {counts['403']} refused 403")
    assert wrong == []


def test_namespace_bindings_reach_children_by_exact_prefix(server: LiveServer) -> None:
    store, now = server.store, utcnow()
    account = identity.create_account(store, "USER", "dev-editor", password=PASSWORD, by=SYSTEM, now=now)
    access.create_binding(store, "editor", "USER", account.id, "dev", by=SYSTEM, now=now)
    headers = _bearer(identity.create_token(store, account.id, "t", by=SYSTEM, now=now).text)
    with server.client(headers=headers) as client:
        for namespace, allowed in (("dev", True), ("dev.team", True), ("development", False), ("prod", False)):
            flow = f"id: f\nnamespace: {namespace}\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
            created = client.post("/api/v1/main/flows", content=flow, headers={"content-type": "application/x-yaml"})
            assert created.status_code == (200 if allowed else 403), (namespace, created.text)
            if not allowed:
                assert created.json()["message"] == f"missing permission FLOW:CREATE on namespace '{namespace}'"
            read = client.get(f"/api/v1/main/flows/{namespace}/f")
            assert read.status_code == (200 if allowed else 403), (namespace, read.text)
        assert client.get("/api/v1/main/namespaces/development/kv").status_code == 403
        assert client.get("/api/v1/main/namespaces/dev.team/kv").status_code == 200
        # access management needs an instance-wide binding
        assert client.get("/api/v1/main/users").status_code == 403


def test_searches_show_only_the_namespaces_a_binding_reaches(server: LiveServer) -> None:
    store, now = server.store, utcnow()
    for namespace in ("scoped", "scoped.team", "scopedother", "elsewhere"):
        flow = f"id: s\nnamespace: {namespace}\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
        flows_service.deploy(store, flow, by=SYSTEM, now=now)
        executions_service.create_execution(store, namespace, "s", {}, by=SYSTEM, now=now)
    account = identity.create_account(store, "USER", "scoped-viewer", password=PASSWORD, by=SYSTEM, now=now)
    access.create_binding(store, "viewer", "USER", account.id, "scoped", by=SYSTEM, now=now)
    access.create_binding(store, "viewer", "USER", account.id, "elsewhere", by=SYSTEM, now=now)
    headers = _bearer(identity.create_token(store, account.id, "t", by=SYSTEM, now=now).text)
    with server.client(headers=headers) as client:
        flows = client.get("/api/v1/main/flows/search", params={"q": "s", "size": 100}).json()["results"]
        assert {f["namespace"] for f in flows if f["id"] == "s"} == {"scoped", "scoped.team", "elsewhere"}
        names = client.get("/api/v1/main/flows/distinct-namespaces").json()
        assert "scopedother" not in names and "scoped.team" in names
        found = client.get("/api/v1/main/executions/search", params={"size": 100}).json()["results"]
        assert {e["namespace"] for e in found} == {"scoped", "scoped.team", "elsewhere"}
        counted = client.post("/api/v1/main/stats/executions/group-by-namespace", json={}).json()
        assert {c["namespace"] for c in counted} == {"scoped", "scoped.team", "elsewhere"}
        other = client.get("/api/v1/main/executions/search", params={"namespace": "scopedother"})
        assert other.status_code == 403 and "EXECUTION:LIST on namespace 'scopedother'" in other.json()["message"]
        narrowed = client.get("/api/v1/main/executions/search", params={"namespace": "scoped.team"}).json()
        assert {e["namespace"] for e in narrowed["results"]} == {"scoped.team"}
        execution = next(e for e in client.get("/api/v1/main/executions/search").json()["results"])
        assert client.get(f"/api/v1/main/executions/{execution['id']}").status_code == 200
        hidden = executions_service.create_execution(store, "scopedother", "s", {}, by=SYSTEM, now=now)
        assert client.get(f"/api/v1/main/executions/{hidden.id}").status_code == 403
        assert client.get(f"/api/v1/main/logs/{hidden.id}").status_code == 403
