"""Reading a dashboard's YAML: shape (pydantic) then meaning (fields of the source, aggregations per chart type,
columns named by the options and the order), every problem located at its YAML line and JSON path."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from legato.dashboards import fields
from legato.dashboards.model import MAP_FORM, ONE_FORM, Chart, Column, Dashboard, Filter
from legato.model.errors import FlowValidationError, Problem, name_unknown_properties, problems_from
from legato.model.loader import parse_documents
from legato.model.resource import parse_resource

Loc = tuple[str | int, ...]
_NO_VALUE = {"IS_NULL", "IS_NOT_NULL", "IS_TRUE", "IS_FALSE"}
_MANY = {"IN", "NOT_IN"}
# how many aggregated columns each data chart takes (None: any)
_AGGS = {"Bar": (1, 1), "Pie": (1, 1), "TimeSeries": (1, 2), "KPI": (1, 1), "Table": (0, None)}


def parse_dashboard(text: str, name: str = "<dashboard>") -> Dashboard:
    """The dashboard in `text`; FlowValidationError names `name`, the line and path of every problem."""
    return parse_resource(text, name, Dashboard, kind="dashboard", check=check, untag=_untagged,
                          shape="a dashboard is a YAML map with title, timeWindow and charts")


def parse_chart(text: str, name: str = "<chart>") -> Chart:
    """One chart's YAML (a chart preview); FlowValidationError with the line and path of every problem."""
    docs = [d for d in parse_documents(text, source=name) if d.value is not None or d.problems]
    if len(docs) != 1 or docs[0].problems or not isinstance(docs[0].value, dict):
        problems = docs[0].problems if len(docs) == 1 and docs[0].problems else [
            Problem("", "a chart is one YAML map with id, type, chartOptions and data", None, None, name)]
        raise FlowValidationError(problems)
    doc = docs[0]
    try:
        chart = Chart.model_validate(doc.value)
    except ValidationError as exc:
        raise FlowValidationError(problems_from(name_unknown_properties(Chart, _untagged(exc)), doc.value,
                                                doc.positions, name)) from None
    errors = list(check_chart(chart))
    if errors:
        details: list[InitErrorDetails] = [
            {"type": PydanticCustomError("chart", message), "loc": loc, "input": None} for loc, message in errors]
        raise FlowValidationError(problems_from(ValidationError.from_exception_data("Chart", details),
                                                doc.value, doc.positions, name))
    return chart


def _untagged(error: ValidationError) -> ValidationError:
    """`error` without the tags of the two forms of `columns` in its paths (they are no YAML key)."""
    details: list[InitErrorDetails] = []
    for d in error.errors():
        loc = tuple(part for part in d["loc"] if part not in (MAP_FORM, ONE_FORM))
        custom = PydanticCustomError(d["type"], d["msg"], dict(d.get("ctx") or {}) or None)
        details.append({"type": custom, "loc": loc, "input": d.get("input")})
    return ValidationError.from_exception_data(error.title, details)


def check(dashboard: Dashboard) -> Iterator[tuple[Loc, str]]:
    """What is wrong with a well-shaped dashboard: (where, what) for each problem."""
    if dashboard.time_window.default_span > dashboard.time_window.max_span:
        yield ("timeWindow", "default"), "the default time window is longer than the max one"
    seen: set[str] = set()
    for i, chart in enumerate(dashboard.charts):
        if chart.id in seen:
            yield ("charts", i, "id"), f"two charts have the id '{chart.id}'"
        seen.add(chart.id)
        yield from ((("charts", i, *loc), message) for loc, message in check_chart(chart))


def check_chart(chart: Chart) -> Iterator[tuple[Loc, str]]:
    kind = fields.chart_type(chart.type)
    if kind is None:
        yield ("type",), f"unknown chart type '{chart.type}'; use one of {', '.join(fields.CHART_TYPES)}"
        return
    if kind == "Markdown":
        if chart.data is not None:
            yield ("data",), "a Markdown chart shows text: it has no data"
        if chart.content is None and (chart.source is None or chart.source.content is None) and (
                chart.source is None or chart.source.type != "FlowDescription"):
            yield ("content",), "a Markdown chart needs `content` (or `source.content`)"
        return
    if chart.data is None:
        yield ("data",), f"a {kind} chart needs `data`"
        return
    source = fields.source(chart.data.type)
    if source is None:
        yield ("data", "type"), f"unknown data source '{chart.data.type}'; use one of {', '.join(fields.SOURCES)}"
        return
    if source.kpi != (kind == "KPI"):
        want = "a KPI data source (ExecutionsKPI, FlowsKPI, LogsKPI, MetricsKPI)" if kind == "KPI" else \
            "a data source that is not a KPI one"
        yield ("data", "type"), f"a {kind} chart needs {want}"
        return
    yield from _check_columns(chart, kind, source)
    for j, f in enumerate(chart.data.where):
        yield from ((("data", "where", j, *loc), m) for loc, m in check_filter(f, source))
    if chart.data.numerator is not None:
        if not source.kpi:
            yield ("data", "numerator"), "only KPI data sources take a numerator"
        for j, f in enumerate(chart.data.numerator):
            yield from ((("data", "numerator", j, *loc), m) for loc, m in check_filter(f, source))


def _check_columns(chart: Chart, kind: str, source: fields.Source) -> Iterator[tuple[Loc, str]]:
    assert chart.data is not None
    columns = chart.data.columns
    if isinstance(columns, Column):
        if not source.kpi:
            yield ("data", "columns"), "columns is a map of column names to columns"
            return
        named: dict[str, Column] = {"value": columns}
        where: Loc = ("data", "columns")
    else:
        if source.kpi:
            yield ("data", "columns"), "a KPI's columns is one column (field, agg), not a map"
            return
        named, where = columns, ("data", "columns")
    if not named:
        yield where, "a chart needs at least one column"
    for key, column in named.items():
        at: Loc = where if isinstance(columns, Column) else (*where, key)
        yield from ((( *at, *loc), m) for loc, m in _check_column(column, source))
    aggregated = sum(1 for c in named.values() if c.agg is not None)
    low, high = _AGGS[kind]
    if aggregated < low or (high is not None and aggregated > high):
        wanted = f"exactly {low}" if low == high else f"{low} to {high}" if high else f"at least {low}"
        yield where, f"a {kind} chart takes {wanted} aggregated column(s) (with `agg`), found {aggregated}"
    options = chart.chart_options
    for option in ("column", "color_by_column"):
        value = getattr(options, option)
        if value is not None and value not in named:
            yield ("chartOptions", _camel(option)), f"'{value}' is not one of the columns ({', '.join(named)})"
    if kind in ("Bar", "TimeSeries") and options.column is None:
        yield ("chartOptions", "column"), f"a {kind} chart needs `column`: the key of its x axis column"
    if kind == "TimeSeries" and options.column in named:
        x = named[options.column]
        if x.field is None or source.fields.get(x.field) != "date":
            yield ("chartOptions", "column"), "the x axis of a TimeSeries is a date field"
    for j, order in enumerate(chart.data.order_by):
        if order.column not in named:
            yield ("data", "orderBy", j, "column"), f"'{order.column}' is not one of the columns ({', '.join(named)})"


def _check_column(column: Column, source: fields.Source) -> Iterator[tuple[Loc, str]]:
    if column.field is None:
        if column.agg not in (None, "COUNT"):
            yield ("field",), f"{column.agg} needs a field"
        elif column.agg is None:
            yield ("field",), "a column needs a field (or `agg: COUNT`)"
        return
    kind = source.fields.get(column.field)
    if kind is None:
        yield ("field",), f"unknown field '{column.field}' of {source.name}; use one of {', '.join(source.fields)}"
        return
    if column.agg is not None and column.field in source.no_aggregation:
        yield ("agg",), f"{column.field} cannot be aggregated"
    if column.agg in ("SUM", "AVG") and kind != "number":
        yield ("agg",), f"{column.agg} needs a number field, and {column.field} is not one"
    if kind == "labels" and not column.label_key:
        yield ("labelKey",), "a LABELS column needs `labelKey`: which label"


def check_filter(f: Filter, source: fields.Source) -> Iterator[tuple[Loc, str]]:
    """What is wrong with one filter (paths relative to it)."""
    if f.type == "OR":
        if not f.values:
            yield ("values",), "OR needs `values`: the filters of which one must hold"
            return
        for i, raw in enumerate(f.values):
            try:
                inner = Filter.model_validate(raw)
            except ValidationError as exc:
                for err in exc.errors():
                    yield ("values", i, *err["loc"]), err["msg"]
                continue
            yield from ((("values", i, *loc), m) for loc, m in check_filter(inner, source))
        return
    if f.field is None:
        yield ("field",), f"{f.type} needs `field`"
        return
    kind = source.fields.get(f.field)
    if kind is None:
        yield ("field",), f"unknown field '{f.field}' of {source.name}; use one of {', '.join(source.fields)}"
        return
    if kind == "labels" and not f.label_key:
        yield ("labelKey",), "a LABELS filter needs `labelKey`: which label"
    if f.type in _NO_VALUE:
        return
    if f.type in _MANY:
        if not f.values:
            yield ("values",), f"{f.type} needs `values`: a list of at least one value"
            return
        for i, v in enumerate(f.values):
            yield from ((("values", i), m) for m in _check_value(v, kind))
        return
    if f.value is None:
        yield ("value",), f"{f.type} needs `value`"
        return
    if f.type == "REGEX":
        try:
            re.compile(str(f.value))
        except re.error as exc:
            yield ("value",), f"not a regular expression: {exc}"
    if f.type in ("CONTAINS", "STARTS_WITH", "ENDS_WITH", "REGEX"):
        return
    yield from ((("value",), m) for m in _check_value(f.value, kind))


def _check_value(value: Any, kind: str) -> Sequence[str]:
    if isinstance(value, dict | list):
        return ["expected a value, not a map or list"]
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        try:
            float(str(value))
        except ValueError:
            return [f"expected a number, got '{value}'"]
    if kind == "date":
        try:
            parse_instant(str(value))
        except ValueError:
            return [f"expected an ISO-8601 date-time, got '{value}'"]
    return []


def parse_instant(text: str) -> datetime:
    """An ISO-8601 date-time; one without a zone is taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
