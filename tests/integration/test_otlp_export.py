"""Spans reach an OTLP/HTTP collector configured by the settings: a real HTTP receiver on 127.0.0.1 decodes what
the exporter posts to `<telemetry.otlp_endpoint>/v1/traces`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from legato import config
from legato.cli.server_cmd import observe
from legato.model.state import State
from legato.telemetry import ids, tracing
from legato.telemetry.tracing import Attempt


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(autouse=True)
def root_handlers() -> Iterator[None]:
    """observe() sets up the process's log handler: the next tests get the root logger back as it was."""
    root = logging.getLogger()
    kept = list(root.handlers)
    yield
    root.handlers[:] = kept


@pytest.fixture
def collector() -> Iterator[str]:
    _Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        tracing.shutdown()
        server.shutdown()


def test_the_settings_endpoint_receives_the_spans(collector: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_TELEMETRY__OTLP_ENDPOINT", collector)
    monkeypatch.setenv("LEGATO_TELEMETRY__SERVICE_NAME", "legato-test")
    observe(config.load())
    assert tracing.enabled()
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    tracing.attempt_ended(Attempt(
        execution_id="exec1", namespace="a.b", flow_id="f", task_id="t1", task_type="io.kestra.plugin.core.log.Log",
        task_run_id="run1", attempt=1, state=State.FAILED, started=started, ended=started + timedelta(seconds=2),
        error="boom"))
    tracing.flush()
    assert [path for path, _ in _Collector.received] == ["/v1/traces"]
    request = ExportTraceServiceRequest.FromString(_Collector.received[0][1])
    resource = request.resource_spans[0]
    assert {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"] == "legato-test"
    span = resource.scope_spans[0].spans[0]
    assert span.name == "task t1"
    assert span.trace_id == ids.trace_id("exec1").to_bytes(16, "big")
    assert span.span_id == ids.attempt_span_id("run1", 1).to_bytes(8, "big")
    assert span.parent_span_id == ids.execution_span_id("exec1").to_bytes(8, "big")
    assert span.end_time_unix_nano - span.start_time_unix_nano == 2_000_000_000
    assert span.status.message == "boom"


def test_no_endpoint_no_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*tracing.ENDPOINT_ENVS, "LEGATO_TELEMETRY__OTLP_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    observe(config.load())
    assert not tracing.enabled()
