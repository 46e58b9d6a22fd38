"""No route answers without credentials but the declared public ones (issue 22, finding 3). A real server
(uvicorn on 127.0.0.1, SQLite) runs with basic auth on; every route of its OpenAPI document, under every method
it declares, is called without credentials over raw HTTP with path variants (trailing slash, double slashes,
upper case, percent-encoded letters and slashes, dot segments, a `/configs` suffix), and only the probes (`/health`, `/ready`), the
webhook trigger route, the sign-in routes and an app page's routes (an app `x1` does not exist: 404) may answer
anything but 401.
"""

from __future__ import annotations

import http.client
import re
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest

from legato.api.access import CREDENTIALS_OPTIONAL
from legato.api.middleware import PUBLIC_ROUTES
from legato.store import open_store
from tests.integration.api.conftest import LiveServer, _start

AUTH = ("admin", "s3cret-routes")
# A flow in namespace `webhook`: the old prefix exemption let `POST /api/v1/main/executions/webhook/{flowId}`
# (the route that starts an execution of namespace/flow) through without credentials.
FLOW = """id: target
namespace: webhook
inputs:
  - id: who
    type: STRING
    defaults: nobody
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.who }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: the-key
"""
VALUES = {"tenant": "main", "namespace": "webhook", "flowId": "target", "id": "target", "key": "not-the-key"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("auth-routes")
    store = open_store(f"sqlite:///{data_dir / 'legato.db'}")
    for live in _start(store, data_dir, "sqlite", basic_auth=AUTH):
        with live.client(auth=AUTH) as client:
            response = client.post(
                "/api/v1/main/flows", content=FLOW, headers={"content-type": "application/x-yaml"}
            )
            assert response.status_code == 200, response.text
        yield live


def _fill(template: str) -> str:
    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", lambda m: VALUES.get(m.group(1), "x1"), template)


def _variants(path: str) -> set[str]:
    """The raw paths a prefix or exact-string check could treat differently from the router."""
    segments = path.split("/")
    found = {
        path,
        path + "/",
        "/" + path,
        path.replace("/", "//"),
        path.upper(),
        path + "/.",
        path + "/x/..",
        path.replace("/api/", "/api//"),
        path + "?x=1",
        path + "%2F",
        path + "/%2e%2e/x1",
        # Kestra's CVSS 10 advisory of 2026: a `/configs` suffix skipped authentication
        path + "/configs",
        path + "/..;/configs",
        path + "%2F..%2Fconfigs",
    }
    for i in range(1, len(segments)):
        encoded = list(segments)
        encoded[i] = "".join(f"%{ord(c):02X}" for c in encoded[i])
        found.add("/".join(encoded))
        joined = list(segments)
        if i + 1 < len(segments):
            joined[i : i + 2] = [f"{segments[i]}%2F{segments[i + 1]}"]
            found.add("/".join(joined))
    return found


def _status(url: str, method: str, path: str) -> int:
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)
    try:
        body = b"{}" if method in {"POST", "PUT", "PATCH"} else None
        connection.request(method, path, body=body, headers={"content-type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_only_declared_routes_answer_without_credentials(server: LiveServer) -> None:
    with server.client(auth=AUTH) as client:
        document = client.get("/api/openapi.json").json()
    answered: dict[tuple[str, str], int] = {}
    probes = 0
    for template, operations in document["paths"].items():
        methods = {m.upper() for m in operations if m in {"get", "post", "put", "patch", "delete"}}
        for method in methods | ({"HEAD"} if "GET" in methods else set()) | {"OPTIONS"}:
            for path in _variants(_fill(template)):
                probes += 1
                status = _status(server.url, method, path)
                if status != 401:
                    answered[(method, path)] = status
    public = {(m, p) for (m, p) in answered if any(_routes_to(p, t) for t in PUBLIC_ROUTES)}
    assert set(answered) - public == set(), f"answered without credentials ({probes} probes)"
    assert probes > 1000


def _routes_to(path: str, template: str) -> bool:
    pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
    return re.match(pattern, urllib.parse.unquote(urllib.parse.urlsplit(path).path)) is not None


APP_PAGE = {"/api/v1/{tenant}/apps/{id}/view", "/api/v1/{tenant}/apps/{id}/follow",
            "/api/v1/{tenant}/apps/{id}/executions", "/api/v1/{tenant}/apps/{id}/executions/{executionId}/resume",
            "/api/v1/{tenant}/apps/{id}/executions/{executionId}/cancel",
            "/api/v1/{tenant}/apps/{id}/executions/{executionId}/file"}


def test_public_routes_are_exactly_the_probes_the_webhook_trigger_sign_in_the_ui_files_and_app_pages() -> None:
    # an app page's routes answer anyone for a PUBLIC app only (services.app_runtime.enter checks the app)
    assert {"/health", "/ready", "/api/v1/{tenant}/executions/webhook/{namespace}/{flowId}/{key}", "/api/v1/login",
            "/api/v1/logout", "/api/v1/auth/providers", "/api/v1/auth/oidc/login", "/api/v1/auth/oidc/callback",
            "/", "/ui", "/ui/{path:path}", *APP_PAGE} == PUBLIC_ROUTES
    assert APP_PAGE == CREDENTIALS_OPTIONAL


def test_the_webhook_prefix_no_longer_starts_a_flow_of_namespace_webhook(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        created = anonymous.post("/api/v1/main/executions/webhook/target", data={"who": "attacker"})
        assert created.status_code == 401, created.text
        validated = anonymous.post(
            "/api/v1/main/executions/webhook/target/validate", data={"who": "attacker"}
        )
        assert validated.status_code == 401, validated.text
        # the real webhook route stays public, with exactly namespace/flow/key
        hooked = anonymous.post("/api/v1/main/executions/webhook/webhook/target/the-key", json={})
        assert hooked.status_code == 200, hooked.text
        assert anonymous.get("/health").status_code == 200
    with server.client(auth=AUTH) as client:
        found = client.get("/api/v1/main/executions/search", params={"namespace": "webhook"}).json()
    assert found["total"] == 1, found  # only the real webhook call started one


def test_credentials_still_open_every_route(server: LiveServer) -> None:
    assert _status(server.url, "GET", "/api/v1/main/flows/webhook/target") == 401
    with server.client(auth=AUTH) as client:
        assert client.get("/api/v1/main/flows/webhook/target").status_code == 200
