"""OpenTelemetry traces: one span per execution, one child span per task attempt (the optional `otel` extra).

Executions outlive any one call and their attempts run in other processes, so no span is held open: each is
recorded when it ends, with the start and end times Legato stored, under ids derived from the execution and
task-run ids (`legato.telemetry.ids`). The worker's attempt span and the executor's execution span therefore
meet in one trace without sharing state, and a script continues it from TRACEPARENT.

Off until `configure` (an OTLP/HTTP endpoint) or `use_exporter` (any SDK exporter, e.g. in tests) is called.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from legato.model.execution import Execution
from legato.model.state import State
from legato.telemetry import ids

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Link, Tracer

ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
FAILED = frozenset({State.FAILED, State.KILLED})  # ends shown as errors in a trace viewer

# The ids the next span takes (trace, span): set around each start_span by _record.
_NEXT_IDS: ContextVar[tuple[int, int] | None] = ContextVar("legato_next_span_ids", default=None)


class TracingUnavailable(RuntimeError):
    """Tracing is configured but the `otel` extra is not installed."""


@dataclass
class _Tracing:
    provider: TracerProvider
    tracer: Tracer


_current: _Tracing | None = None


def enabled() -> bool:
    """Whether spans are recorded in this process."""
    return _current is not None


def wanted(endpoint: str | None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether tracing is asked for: an endpoint in the settings or the standard OTEL_EXPORTER_OTLP_* variables."""
    env = os.environ if environ is None else environ
    return bool(endpoint) or any(env.get(name) for name in ENDPOINT_ENVS)


def configure(endpoint: str | None, service_name: str = "legato") -> None:
    """Export spans over OTLP/HTTP in batches: to `endpoint` (a base URL, `/v1/traces` is added, as for
    OTEL_EXPORTER_OTLP_ENDPOINT) or, when None, where the standard OTEL_EXPORTER_OTLP_* variables say."""
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise TracingUnavailable("tracing needs the `otel` extra: pip install 'legato[otel]'") from None
    url = endpoint.rstrip("/") + "/v1/traces" if endpoint else None
    _install(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)), service_name)


def use_exporter(exporter: SpanExporter, service_name: str = "legato") -> None:
    """Hand every span to `exporter` as it ends (synchronously): for tests and tools."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    _install(SimpleSpanProcessor(exporter), service_name)


def flush() -> None:
    """Export the spans still buffered (a process about to stop)."""
    if _current is not None:
        _current.provider.force_flush()


def shutdown() -> None:
    """Flush the spans still buffered and stop recording."""
    global _current
    if _current is not None:
        _current.provider.shutdown()
        _current = None


def _install(processor: SpanProcessor, service_name: str) -> None:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator

    class GivenIds(IdGenerator):
        """The ids _record sets; random ones for spans started any other way."""

        fallback = RandomIdGenerator()

        def generate_trace_id(self) -> int:
            given = _NEXT_IDS.get()
            return given[0] if given else self.fallback.generate_trace_id()

        def generate_span_id(self) -> int:
            given = _NEXT_IDS.get()
            return given[1] if given else self.fallback.generate_span_id()

    global _current
    shutdown()
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}), id_generator=GivenIds())
    provider.add_span_processor(processor)
    _current = _Tracing(provider, provider.get_tracer("legato"))


def traceparent(execution_id: str, task_run_id: str, attempt: int) -> str:
    """TRACEPARENT for a script run by this attempt (sampled only when this process records spans)."""
    return ids.traceparent(execution_id, task_run_id, attempt, sampled=enabled())


def execution_ended(execution: Execution) -> None:
    """Record the span of an execution that just reached a terminal state (its trace's root)."""
    if _current is None:
        return
    links = []
    if execution.parent_id is not None:  # a subflow's trace points at the execution that started it
        links.append(_link(ids.trace_id(execution.parent_id), ids.execution_span_id(execution.parent_id)))
    _record(
        _current, f"execution {execution.namespace}.{execution.flow_id}", ids.trace_id(execution.id),
        ids.execution_span_id(execution.id), None, execution.created, execution.ended or execution.created,
        {"legato.execution.id": execution.id, "legato.namespace": execution.namespace,
         "legato.flow.id": execution.flow_id, "legato.flow.revision": execution.flow_revision,
         "legato.state": execution.state.value},
        (execution.error or execution.state.value) if execution.state in FAILED else None, links,
    )


@dataclass(frozen=True)
class Attempt:
    """One ended attempt of a task run, as the worker saw it (`attempt` 0: a task run the executor resolved itself,
    a flowable such as Parallel or If, whose span holds its children's)."""

    execution_id: str
    namespace: str
    flow_id: str
    task_id: str
    task_type: str
    task_run_id: str
    attempt: int
    state: State
    started: datetime
    ended: datetime
    error: str | None = None
    parent_task_run_id: str | None = None  # the flowable task run it runs under


def attempt_ended(attempt: Attempt) -> None:
    """Record the span of a task attempt (or of a flowable task run), a child of its flowable's span or else of its
    execution's."""
    if _current is None:
        return
    parent = attempt.parent_task_run_id
    _record(
        _current, f"task {attempt.task_id}", ids.trace_id(attempt.execution_id),
        ids.attempt_span_id(attempt.task_run_id, attempt.attempt),
        ids.attempt_span_id(parent, 0) if parent is not None else ids.execution_span_id(attempt.execution_id),
        attempt.started, attempt.ended,
        {"legato.execution.id": attempt.execution_id, "legato.namespace": attempt.namespace,
         "legato.flow.id": attempt.flow_id, "legato.task.id": attempt.task_id, "legato.task.type": attempt.task_type,
         "legato.task_run.id": attempt.task_run_id, "legato.attempt": attempt.attempt,
         "legato.state": attempt.state.value},
        (attempt.error or attempt.state.value) if attempt.state in FAILED else None, (),
    )


def _link(trace: int, span: int) -> Link:
    from opentelemetry.trace import Link

    return Link(_remote(trace, span))


def _remote(trace: int, span: int) -> Any:
    from opentelemetry.trace import SpanContext, TraceFlags

    return SpanContext(trace, span, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))


def _record(current: _Tracing, name: str, trace: int, span: int, parent: int | None, start: datetime,
            end: datetime, attributes: dict[str, Any], error: str | None, links: Sequence[Link]) -> None:
    from opentelemetry.context import Context
    from opentelemetry.trace import NonRecordingSpan, Status, StatusCode, set_span_in_context

    context = Context() if parent is None else set_span_in_context(NonRecordingSpan(_remote(trace, parent)))
    token = _NEXT_IDS.set((trace, span))
    try:
        recorded = current.tracer.start_span(name, context=context, attributes=attributes, links=links,
                                             start_time=_nanos(start))
    finally:
        _NEXT_IDS.reset(token)
    if error is not None:
        recorded.set_status(Status(StatusCode.ERROR, error))
    recorded.end(end_time=max(_nanos(end), _nanos(start)))


def _nanos(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000) * 1000
