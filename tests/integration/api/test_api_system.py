"""Health, configuration, OpenAPI document, error shape, basic auth and Prometheus metrics."""

from __future__ import annotations

import secrets
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

YAML = {"Content-Type": "application/x-yaml"}


def test_health_is_up(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "UP", "database": "UP"}


def test_configs_names_version_backend_and_features(client: httpx.Client, server) -> None:  # type: ignore[no-untyped-def]
    for path in ("/api/v1/configs", "/api/v1/main/configs"):
        body = client.get(path).json()
        assert body["tenant"] == "main"
        assert body["backend"] == server.backend
        assert body["basicAuthEnabled"] is False
        assert "flows" in body["features"] and body["version"]


def test_openapi_documents_and_tags_every_route(client: httpx.Client) -> None:
    doc = client.get("/api/openapi.json").json()
    assert doc["info"]["title"] == "Legato API"
    declared_tags = {t["name"] for t in doc["tags"]}
    operations = [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 10
    for path, method, op in operations:
        assert op.get("tags"), f"{method} {path} has no tag"
        assert set(op["tags"]) <= declared_tags, f"{method} {path}: undeclared tag {op['tags']}"
        assert op.get("summary"), f"{method} {path} has no summary"
        assert op.get("description"), f"{method} {path} has no description"
    assert "/api/v1/{tenant}/flows" in doc["paths"]
    assert "application/x-yaml" in doc["paths"]["/api/v1/{tenant}/flows"]["post"]["requestBody"]["content"]


def test_unknown_tenant_is_404_with_error_shape(client: httpx.Client) -> None:
    response = client.get("/api/v1/other/flows/search")
    assert response.status_code == 404
    assert response.json() == {"message": "tenant 'other' not found", "details": []}


def test_unknown_route_is_404_json(client: httpx.Client) -> None:
    response = client.get("/api/v1/main/nothing-here")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "details"}


def test_bad_query_parameter_is_422_naming_it(client: httpx.Client) -> None:
    response = client.get("/api/v1/main/flows/search", params={"page": 0})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "invalid request"
    assert body["details"][0]["path"] == "query.page"


def test_malformed_flow_error_carries_the_yaml_line(client: httpx.Client, ns: str) -> None:
    source = f"id: broken\nnamespace: {ns}\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    mesage: hi\n"
    response = client.post("/api/v1/main/flows", content=source, headers=YAML)
    assert response.status_code == 422
    details = {d["line"]: d for d in response.json()["details"]}
    assert details[6]["path"] == "tasks[0].mesage"
    assert "did you mean 'message'" in details[6]["message"]
    assert details[4]["message"] == "required property 'message' is missing"


def test_yaml_syntax_error_is_422_with_line(client: httpx.Client) -> None:
    response = client.post("/api/v1/main/flows", content="id: x\nnamespace: [unclosed\n", headers=YAML)
    assert response.status_code == 422
    assert response.json()["details"][0]["line"] is not None


def test_wrong_content_type_is_415_and_non_utf8_is_400(client: httpx.Client) -> None:
    response = client.post("/api/v1/main/flows", json={"id": "x"})
    assert response.status_code == 415
    assert "application/x-yaml" in response.json()["message"]
    response = client.post("/api/v1/main/flows", content=b"id: \xff\xfe\n", headers=YAML)
    assert response.status_code == 400


def test_metrics_in_prometheus_format(client: httpx.Client) -> None:
    client.get("/health")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert families["legato_executions_in_state"].type == "gauge"
    assert {s.labels["state"] for s in families["legato_executions_in_state"].samples} >= {"SUCCESS", "FAILED"}
    requests = {(s.labels["method"], s.labels["route"], s.labels["status"]): s.value
                for s in families["legato_http_requests"].samples if s.name == "legato_http_requests_total"}
    assert requests[("GET", "/health", "200")] >= 1
    durations = families["legato_http_request_duration_seconds"]
    assert durations.type == "histogram"
    assert any(s.labels.get("le") == "+Inf" and s.labels["route"] == "/health" for s in durations.samples)


def test_basic_auth_guards_everything_but_health(auth_server) -> None:  # type: ignore[no-untyped-def]
    with auth_server.client() as anonymous:
        assert anonymous.get("/health").status_code == 200
        denied = anonymous.get("/api/v1/configs")
        assert denied.status_code == 401
        assert denied.headers["www-authenticate"].startswith("Basic")
        assert denied.json()["message"] == "authentication required"
    with auth_server.client(auth=("admin", "wrong")) as wrong:
        assert wrong.get("/api/v1/configs").status_code == 401
    with auth_server.client(auth=("admin", "s3cret")) as good:
        response = good.get("/api/v1/configs")
        assert response.status_code == 200
        assert response.json()["basicAuthEnabled"] is True


def test_metrics_show_the_job_queue_by_worker_group(client: httpx.Client) -> None:
    group = f"nobody{secrets.token_hex(3)}"  # no worker serves it: the job waits
    ns = f"test.api.q{secrets.token_hex(3)}"
    source = (f"id: queued\nnamespace: {ns}\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n"
              f"    message: hi\n    workerGroup:\n      key: {group}\n")
    assert client.post("/api/v1/main/flows", content=source, headers=YAML).status_code == 200
    execution = client.post(f"/api/v1/main/executions/{ns}/queued").json()

    def queue() -> dict[str, float]:
        families = text_string_to_metric_families(client.get("/metrics").text)
        return {f.name: s.value for f in families if f.name.startswith("legato_queue")
                for s in f.samples if s.labels.get("worker_group") == group}

    deadline = time.monotonic() + 10
    while queue().get("legato_queue_depth") != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)
    try:
        found = queue()
        assert found["legato_queue_depth"] == 1 and found["legato_queue_running"] == 0
        assert found["legato_queue_oldest_age_seconds"] > 0.1
    finally:
        client.delete(f"/api/v1/main/executions/{execution['id']}/kill")
    while queue().get("legato_queue_depth", 0) != 0 and time.monotonic() < deadline + 10:
        time.sleep(0.1)
    assert queue().get("legato_queue_depth", 0) == 0
