"""The data sources a chart may query and the fields of each (Kestra's names), with the kind of value each holds.

Only these fields reach SQL: a chart names a field, the store maps it to one column expression of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["string", "number", "date", "labels"]

_PREFIX = "io.kestra.plugin.core.dashboard.data."


@dataclass(frozen=True)
class Source:
    """A data source: its fields, whether it is the KPI form, and which field its time window filters on."""

    name: str  # Executions, ExecutionsKPI, ...
    base: str  # the table family: Executions, Flows, Logs, Metrics, Triggers
    fields: dict[str, Kind]
    kpi: bool
    windowed: bool  # the dashboard's time range applies (executions, logs, metrics)
    no_aggregation: frozenset[str] = frozenset()


_EXECUTIONS: dict[str, Kind] = {
    "ID": "string", "NAMESPACE": "string", "FLOW_ID": "string", "FLOW_REVISION": "number", "STATE": "string",
    "DURATION": "number", "LABELS": "labels", "START_DATE": "date", "END_DATE": "date",
    "TRIGGER_EXECUTION_ID": "string",
}
_FLOWS: dict[str, Kind] = {"ID": "string", "NAMESPACE": "string", "REVISION": "number"}
_LOGS: dict[str, Kind] = {
    "NAMESPACE": "string", "FLOW_ID": "string", "EXECUTION_ID": "string", "TASK_ID": "string", "DATE": "date",
    "TASK_RUN_ID": "string", "ATTEMPT_NUMBER": "number", "TRIGGER_ID": "string", "LEVEL": "string",
    "MESSAGE": "string",
}
_METRICS: dict[str, Kind] = {
    "NAMESPACE": "string", "FLOW_ID": "string", "TASK_ID": "string", "EXECUTION_ID": "string",
    "TASK_RUN_ID": "string", "TYPE": "string", "NAME": "string", "VALUE": "number", "DATE": "date",
}
_TRIGGERS: dict[str, Kind] = {
    "ID": "string", "NAMESPACE": "string", "FLOW_ID": "string", "TRIGGER_ID": "string", "EXECUTION_ID": "string",
    "NEXT_EXECUTION_DATE": "date", "WORKER_ID": "string",
}


def _both(base: str, fields: dict[str, Kind], windowed: bool, **kw: frozenset[str]) -> list[Source]:
    return [Source(base, base, fields, False, windowed, **kw), Source(base + "KPI", base, fields, True, windowed, **kw)]


SOURCES: dict[str, Source] = {s.name: s for s in [
    *_both("Executions", _EXECUTIONS, True),
    *_both("Flows", _FLOWS, False),
    *_both("Logs", _LOGS, True, no_aggregation=frozenset({"MESSAGE"})),
    *_both("Metrics", _METRICS, True),
    Source("Triggers", "Triggers", _TRIGGERS, False, False),
]}

CHART_TYPES = ("Bar", "Pie", "TimeSeries", "Table", "KPI", "Markdown")
CHART_PREFIX = "io.kestra.plugin.core.dashboard.chart."


def source(type_name: str) -> Source | None:
    """The data source named by `type_name` (Kestra's full type name or the short one)."""
    return SOURCES.get(type_name.removeprefix(_PREFIX))


def chart_type(type_name: str) -> str | None:
    """The short chart type of `type_name` (Kestra's full type name or the short one)."""
    short = type_name.removeprefix(CHART_PREFIX)
    return short if short in CHART_TYPES else None
