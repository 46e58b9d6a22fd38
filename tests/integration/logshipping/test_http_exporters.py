"""log.LogShipper's HTTP exporters against a test double of the log intakes: a real HTTP server on 127.0.0.1
(tests/integration/notifications/receiver.py) answering each path as the service's public documentation says:

- Datadog logs intake `POST /api/v2/logs` (JSON array of logs, key in `DD-API-KEY`): 202 `{}`; a bad key 403
  `{"errors": ["Forbidden"]}`.
- Splunk HTTP Event Collector `POST /services/collector` (concatenated JSON events, `Authorization: Splunk <token>`):
  200 `{"text": "Success", "code": 0}`.
- New Relic Log API `POST /log/v1` (`[{"common": ..., "logs": [...]}]`, key in `Api-Key`): 202 `{"requestId": "..."}`.
- Graylog GELF HTTP input `POST /gelf` (one GELF 1.1 message): 202, empty body.
- OpenTelemetry collector OTLP/HTTP `POST /v1/logs` (JSON encoding): 200 `{}`; the body is read back with the
  OTLP protobuf definitions' own JSON parser.

What is checked: each service gets every line, in chunks of `chunk`, with its credentials and in its own shape; a
refusal fails the run and leaves the offset where it was, so the next run ships the same lines."""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from tests.integration.elasticsearch.double import PASSWORD, USER, SearchDouble
from tests.integration.logshipping.conftest import Harness, write_logs
from tests.integration.notifications.receiver import Receiver, as_json, text

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage

SHIPPER = """\
id: ship
type: io.kestra.plugin.ee.core.log.LogShipper
logExporters:
  - id: datadog
    type: io.kestra.plugin.ee.datadog.LogExporter
    basePath: {url}
    apiKey: dd-key
    chunk: 2
  - id: splunk
    type: io.kestra.plugin.ee.splunk.LogExporter
    host: {url}/
    token: hec-token
  - id: newrelic
    type: io.kestra.plugin.ee.newrelic.LogExporter
    basePath: {url}
    apiKey: nr-key
  - id: graylog
    type: io.kestra.plugin.ee.graylog.LogExporter
    endpoint: {url}/gelf
  - id: otel
    type: io.kestra.plugin.ee.opentelemetry.LogExporter
    otlpEndpoint: {url}/v1/logs
    authorizationHeaderName: Authorization
    authorizationHeaderValue: Bearer otel-token
"""


@pytest.fixture
def intakes(monkeypatch: pytest.MonkeyPatch) -> Receiver:
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")  # the SSRF guard lets the tests reach it
    with Receiver() as receiver:
        receiver.routes.update({
            "/api/v2/logs": as_json(202, {}),
            "/services/collector": as_json(200, {"text": "Success", "code": 0}),
            "/log/v1": as_json(202, {"requestId": "7f0b1a6e"}),
            "/gelf": text(202, ""),
            "/v1/logs": as_json(200, {}),
        })
        yield receiver


def test_every_intake_gets_every_line_in_its_own_shape(harness: Harness, storage: LocalStorage, intakes: Receiver) -> None:
    team = harness.execution(namespace="company.team")
    write_logs(harness, team, ("INFO", "first"), ("WARN", "second"), ("ERROR", "third"))
    harness.clock.advance(minutes=1)
    shipper = harness.execution(namespace="company.team", flow_id="shipper")
    out = harness.run(SHIPPER.format(url=intakes.url), harness.context(storage=storage, execution=shipper))
    assert out["size"] == 3
    assert out["outputs"] == {"datadog": {"requests": 2}, "splunk": {"requests": 1}, "newrelic": {"requests": 1},
                              "graylog": {"requests": 1}, "otel": {"requests": 1}}
    by_path: dict[str, list] = {}
    for request in intakes.received:
        by_path.setdefault(request.path, []).append(request)

    datadog = by_path["/api/v2/logs"]
    assert [len(r.json()) for r in datadog] == [2, 1] and datadog[0].headers["dd-api-key"] == "dd-key"
    first = datadog[0].json()[0]
    assert (first["message"], first["status"], first["ddsource"]) == ("first", "info", "legato")
    assert f"executionId:{team.id}" in first["ddtags"] and "namespace:company.team" in first["ddtags"]

    [splunk] = by_path["/services/collector"]
    assert splunk.headers["authorization"] == "Splunk hec-token"
    events = [json.loads(line) for line in splunk.text.splitlines()]
    assert [e["event"]["message"] for e in events] == ["first", "second", "third"]
    assert events[0]["time"] == harness.clock.now.timestamp() - 60 and events[0]["sourcetype"] == "_json"

    [newrelic] = by_path["/log/v1"]
    assert newrelic.headers["api-key"] == "nr-key"
    [block] = newrelic.json()
    assert [(x["message"], x["attributes"]["level"]) for x in block["logs"]] == [
        ("first", "INFO"), ("second", "WARN"), ("third", "ERROR")]

    gelf = by_path["/gelf"]
    assert [(m.json()["short_message"], m.json()["level"]) for m in gelf] == [("first", 6), ("second", 4), ("third", 3)]
    assert gelf[0].json()["version"] == "1.1" and gelf[0].json()["_executionId"] == team.id

    [otel] = by_path["/v1/logs"]
    assert otel.headers["authorization"] == "Bearer otel-token"
    parsed = json_format.Parse(otel.text, ExportLogsServiceRequest())
    records = parsed.resource_logs[0].scope_logs[0].log_records
    assert [(r.body.string_value, r.severity_text, r.severity_number) for r in records] == [
        ("first", "INFO", 9), ("second", "WARN", 13), ("third", "ERROR", 17)]
    assert parsed.resource_logs[0].resource.attributes[0].value.string_value == "legato"


def test_a_refusal_fails_the_run_and_the_same_lines_go_next_time(harness: Harness, storage: LocalStorage,
                                                                    intakes: Receiver) -> None:
    team = harness.execution(namespace="company.team")
    write_logs(harness, team, ("INFO", "only"))
    harness.clock.advance(minutes=1)
    intakes.routes["/api/v2/logs"] = as_json(403, {"errors": ["Forbidden"]})
    shipper = harness.execution(namespace="company.team", flow_id="shipper")
    with pytest.raises(TaskFailed, match=r"logExporters 'datadog': Datadog answered HTTP 403: \{\"errors\": \[\"Forbidden\"\]\}"):
        harness.run(SHIPPER.format(url=intakes.url), harness.context(storage=storage, execution=shipper))
    assert harness.store.kv_get("company.team", "LogShipper-state", harness.clock()) is None
    intakes.routes["/api/v2/logs"] = as_json(202, {})
    intakes.received.clear()
    again = harness.run(SHIPPER.format(url=intakes.url), harness.context(storage=storage, execution=shipper))
    assert again["size"] == 1
    assert "only" in [line["message"] for r in intakes.received if r.path == "/api/v2/logs" for line in r.json()]


def test_elasticsearch_and_opensearch_index_every_line(harness: Harness, storage: LocalStorage,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Against the search cluster test double of the Elasticsearch family (its bulk API as the REST reference
    documents it)."""
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")
    team = harness.execution(namespace="company.team")
    write_logs(harness, team, ("INFO", "one"), ("ERROR", "two"), ("WARN", "three"))
    harness.clock.advance(minutes=1)
    ship = harness.execution(namespace="company.team", flow_id="shipper")
    double = SearchDouble()
    with double.serve():
        source = f"""\
id: ship
type: io.kestra.plugin.ee.core.log.LogShipper
logExporters:
  - id: es
    type: io.kestra.plugin.elasticsearch.LogExporter
    connection:
      hosts: ["{double.base_url}"]
      basicAuth: {{username: {USER}, password: {PASSWORD}}}
    indexName: kestra-logs
    chunk: 2
  - id: os
    type: io.kestra.plugin.opensearch.LogExporter
    connection:
      hosts: ["{double.base_url}"]
      basicAuth: {{username: {USER}, password: {PASSWORD}}}
    indexName: "{{{{ flow.namespace }}}}-logs"
"""
        out = harness.run(source, harness.context(storage=storage, execution=ship))
    assert out["outputs"] == {"es": {"documents": 3}, "os": {"documents": 3}}
    for index in ("kestra-logs", "company.team-logs"):
        docs = sorted(double.indices[index].values(), key=lambda d: d["message"])
        assert [(d["message"], d["level"], d["executionId"]) for d in docs] == [
            ("one", "INFO", team.id), ("three", "WARN", team.id), ("two", "ERROR", team.id)]
