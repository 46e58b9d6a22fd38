"""OpenTelemetry traces of a real server (each backend): an execution is one trace, its span the root and each
task attempt's span its child; a script task continues the trace from TRACEPARENT. Spans are read from the SDK's
InMemorySpanExporter installed in the server's process."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from legato.telemetry import tracing

API = "/api/v1/main"
YAML = {"Content-Type": "application/x-yaml"}


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.use_exporter(exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown()


def _flow(ns: str) -> str:
    return f"""
id: traced
namespace: {ns}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
  - id: flaky
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{{{ taskrun.attemptsCount < 1 }}}}"
    errorMessage: first attempt fails
    retry:
      type: constant
      interval: PT0.1S
      maxAttempts: 3
  - id: script
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - 'echo "::{{\\"outputs\\": {{\\"traceparent\\": \\"$TRACEPARENT\\"}}}}::"'
"""


def _spans_of(exporter: InMemorySpanExporter, execution_id: str, count: int) -> list[ReadableSpan]:
    """The spans of one execution, once `count` have ended (the execution's is recorded after its commit)."""
    deadline = time.monotonic() + 10
    while True:
        found = [s for s in exporter.get_finished_spans()
                 if s.attributes and s.attributes.get("legato.execution.id") == execution_id]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_an_execution_is_one_trace_with_a_child_span_per_task_attempt(
        client: httpx.Client, ns: str, spans: InMemorySpanExporter) -> None:
    assert client.post(f"{API}/flows", content=_flow(ns), headers=YAML).status_code == 200
    execution = client.post(f"{API}/executions/{ns}/traced", params={"wait": True}).json()
    assert execution["state"]["current"] == "SUCCESS", execution
    found = _spans_of(spans, execution["id"], 5)
    roots = [s for s in found if s.parent is None]
    assert [s.name for s in roots] == [f"execution {ns}.traced"]
    root = roots[0]
    assert root.context is not None and root.status.status_code != StatusCode.ERROR
    attempts = sorted((s for s in found if s.parent is not None), key=lambda s: s.start_time or 0)
    # one span per attempt: the retried task has two, the first one failed
    assert [(s.name, s.attributes["legato.attempt"] if s.attributes else None) for s in attempts] == [
        ("task hello", 1), ("task flaky", 1), ("task flaky", 2), ("task script", 1)]
    assert [s.status.status_code == StatusCode.ERROR for s in attempts] == [False, True, False, False]
    for span in attempts:
        assert span.context is not None and span.parent is not None
        assert span.context.trace_id == root.context.trace_id
        assert span.parent.span_id == root.context.span_id
        assert root.start_time is not None and root.end_time is not None
        assert root.start_time <= (span.start_time or 0) <= (span.end_time or 0) <= root.end_time
    assert len({s.context.span_id for s in found if s.context is not None}) == len(found) == 5
    # the script saw the W3C traceparent of its own attempt's span
    script = attempts[-1]
    assert script.context is not None
    runs = {run["taskId"]: run for run in execution["taskRunList"]}
    assert runs["script"]["outputs"]["vars"]["traceparent"] == \
        f"00-{root.context.trace_id:032x}-{script.context.span_id:016x}-01"


def test_a_flowable_span_holds_the_spans_of_its_children(
        client: httpx.Client, ns: str, spans: InMemorySpanExporter) -> None:
    source = f"""
id: nested
namespace: {ns}
tasks:
  - id: both
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: left
        type: io.kestra.plugin.core.log.Log
        message: left
      - id: right
        type: io.kestra.plugin.core.debug.Return
        format: right
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: after
"""
    assert client.post(f"{API}/flows", content=source, headers=YAML).status_code == 200
    execution = client.post(f"{API}/executions/{ns}/nested", params={"wait": True}).json()
    assert execution["state"]["current"] == "SUCCESS", execution
    found = {s.name: s for s in _spans_of(spans, execution["id"], 5)}
    assert sorted(found) == [f"execution {ns}.nested", "task after", "task both", "task left", "task right"]

    def parent_of(name: str) -> int | None:
        parent = found[name].parent
        return parent.span_id if parent is not None else None

    def span_of(name: str) -> int:
        context = found[name].context
        assert context is not None
        return context.span_id

    assert parent_of("task both") == parent_of("task after") == span_of(f"execution {ns}.nested")
    assert parent_of("task left") == parent_of("task right") == span_of("task both")
    both = found["task both"]
    for child in ("task left", "task right"):
        assert (both.start_time or 0) <= (found[child].start_time or 0)
        assert (found[child].end_time or 0) <= (both.end_time or 0)
    assert both.attributes is not None and both.attributes["legato.task.type"] == "io.kestra.plugin.core.flow.Parallel"


def test_without_tracing_a_script_still_gets_an_unsampled_traceparent(client: httpx.Client, ns: str) -> None:
    assert not tracing.enabled()
    assert client.post(f"{API}/flows", content=_flow(ns), headers=YAML).status_code == 200
    execution = client.post(f"{API}/executions/{ns}/traced", params={"wait": True}).json()
    runs = {run["taskId"]: run for run in execution["taskRunList"]}
    version, trace, span, flags = runs["script"]["outputs"]["vars"]["traceparent"].split("-")
    assert (version, len(trace), len(span), flags) == ("00", 32, 16, "00")
