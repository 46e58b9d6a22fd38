"""A dashboard chart as one SQL query: its data source is a FROM clause, each of its fields one whitelisted column
expression, its columns the SELECT (aggregations with a GROUP BY of the others, dates bucketed), its `where` and
the time range the WHERE, `orderBy` the ORDER BY. Values are bound parameters; names never reach the SQL text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    FromClause,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
)

from legato.dashboards import fields as source_fields
from legato.dashboards.model import Chart, Column, Filter
from legato.dashboards.parse import parse_instant
from legato.store import rollup
from legato.store.dialect import Dialect
from legato.store.ports.dashboards import ChartRows, ChartWindow
from legato.store.schema import executions, flows, logs, task_runs, triggers
from legato.store.search import within

_x, _l, _t, _f, _g = executions.c, logs.c, task_runs.c, flows.c, triggers.c
_f2 = flows.alias("f2")
_LATEST = select(func.max(_f2.c.revision)).where(_f2.c.tenant == _f.tenant, _f2.c.namespace == _f.namespace,
                                                 _f2.c.id == _f.id).scalar_subquery()
_AGG: dict[str, Callable[[Any], ColumnElement[Any]]] = {
    "COUNT": func.count, "SUM": func.sum, "AVG": func.avg, "MIN": func.min, "MAX": func.max}
_FLOAT = Float()
MAX_ROWS = 100_000  # the most rows one chart (or its CSV export) answers


@dataclass(frozen=True)
class Frame:
    """A data source in SQL: what to select from, the expression of each field, the column the time range applies
    to, the namespace column the reader's scope applies to, the tenant column the reader's tenant applies to and
    conditions always there. `rolled`: the facts of the executions' roll-up (legato.store.rollup) of the reader's
    tenant, aggregated by their own measures."""

    from_: FromClause
    exprs: dict[str, Callable[[str | None], ColumnElement[Any]]]
    time: ColumnElement[Any] | None
    namespace: ColumnElement[Any]
    tenant: ColumnElement[Any] | None
    always: tuple[ColumnElement[bool], ...] = ()
    rolled: Subquery | None = None


def bucket_unit(span: timedelta) -> str:
    """How finely dates are grouped for a time range: hours up to 2 days, days up to 92 days, then weeks."""
    if span <= timedelta(days=2):
        return "hour"
    return "day" if span <= timedelta(days=92) else "week"


class ChartQueries:
    """The SQL of dashboard charts, on one dialect."""

    def __init__(self, dialect: Dialect):
        self._dialect = dialect
        self._frames = {"Executions": self._executions(), "Logs": self._logs(), "Metrics": self._metrics(),
                        "Flows": self._flows(), "Triggers": self._triggers()}

    # data sources ----------------------------------------------------------------------------------------------

    def _executions(self) -> Frame:
        d = self._dialect
        plain: dict[str, ColumnElement[Any]] = {
            "ID": _x.id, "NAMESPACE": _x.namespace, "FLOW_ID": _x.flow_id, "FLOW_REVISION": _x.flow_revision,
            "STATE": _x.state, "DURATION": d.seconds_between(_x.created, _x.ended), "START_DATE": _x.created,
            "END_DATE": _x.ended, "TRIGGER_EXECUTION_ID": _x.parent_id}
        exprs = _constant(plain)
        exprs["LABELS"] = lambda key: d.label_value(_x.data, key or "")
        return Frame(executions, exprs, _x.created, _x.namespace, _x.tenant, (_x.transient == false(),))

    def _rolled(self, window: ChartWindow) -> Frame:
        """The Executions source over the roll-up's facts for `window` (the time range is already applied)."""
        f = rollup.facts(self._dialect, window.start, window.end, window.tenant)
        plain: dict[str, ColumnElement[Any]] = {
            "NAMESPACE": f.c.namespace, "FLOW_ID": f.c.flow_id, "STATE": f.c.state, "START_DATE": f.c.day}
        return Frame(f, _constant(plain), None, f.c.namespace, None, rolled=f)  # facts of the tenant only

    def _logs(self) -> Frame:
        plain: dict[str, ColumnElement[Any]] = {
            "NAMESPACE": _x.namespace, "FLOW_ID": _x.flow_id, "EXECUTION_ID": _l.execution_id, "TASK_ID": _l.task_id,
            "DATE": _l.timestamp, "TASK_RUN_ID": _l.task_run_id, "ATTEMPT_NUMBER": _l.attempt,
            "TRIGGER_ID": cast(null(), String()), "LEVEL": _l.level, "MESSAGE": _l.message}
        return Frame(logs.join(executions, _x.id == _l.execution_id), _constant(plain), _l.timestamp, _x.namespace,
                     _x.tenant)

    def _metrics(self) -> Frame:
        d = self._dialect
        metric = d.json_elements(_t.data, "metrics", "m")
        value = metric.c.value
        plain: dict[str, ColumnElement[Any]] = {
            "NAMESPACE": _x.namespace, "FLOW_ID": _x.flow_id, "TASK_ID": _t.task_id, "EXECUTION_ID": _t.execution_id,
            "TASK_RUN_ID": _t.id, "TYPE": d.json_text(value, "type"), "NAME": d.json_text(value, "name"),
            "VALUE": cast(d.json_text(value, "value"), _FLOAT), "DATE": _x.created}
        joined = executions.join(task_runs, _t.execution_id == _x.id).join(metric, true())
        return Frame(joined, _constant(plain), _x.created, _x.namespace, _x.tenant, (_x.transient == false(),))

    def _flows(self) -> Frame:
        plain: dict[str, ColumnElement[Any]] = {"ID": _f.id, "NAMESPACE": _f.namespace, "REVISION": _f.revision}
        return Frame(flows, _constant(plain), None, _f.namespace, _f.tenant,
                     (_f.revision == _LATEST, _f.deleted == false()))

    def _triggers(self) -> Frame:
        plain: dict[str, ColumnElement[Any]] = {
            "ID": _g.namespace + "_" + _g.flow_id + "_" + _g.trigger_id, "NAMESPACE": _g.namespace,
            "FLOW_ID": _g.flow_id, "TRIGGER_ID": _g.trigger_id, "EXECUTION_ID": _g.locked_execution_id,
            "NEXT_EXECUTION_DATE": _g.next_date, "WORKER_ID": _g.lease_owner}
        return Frame(triggers, _constant(plain), None, _g.namespace, _g.tenant)

    # the query -------------------------------------------------------------------------------------------------

    def rows(self, conn: Connection, chart: Chart, window: ChartWindow, *, use_rollup: bool = True) -> ChartRows:
        """A page of the chart's rows for `window`, and how many there are in all (from the executions' roll-up
        when the chart allows it and `use_rollup`: the same rows, faster over long ranges)."""
        assert chart.data is not None, "a Markdown chart has no rows"
        source = source_fields.source(chart.data.type)
        assert source is not None, f"unchecked chart: data source {chart.data.type!r}"
        unit = bucket_unit(window.end - window.start)
        frame = self._frames[source.base]
        if use_rollup and source.base == "Executions" and rollup.fits(chart.data, source.kpi, unit):
            frame = self._rolled(window)
        conditions = self._conditions(frame, source, chart.data.where, window)
        if source.kpi:
            return self._kpi(conn, frame, source, chart, conditions)
        named = chart.data.columns
        assert isinstance(named, dict)
        aggregated = any(c.agg is not None for c in named.values())
        selected = {key: self._column(frame, source, c, aggregated, unit).label(_alias(i))
                    for i, (key, c) in enumerate(named.items())}
        query: Select[Any] = self._from(select(*selected.values()), frame).where(*conditions)
        keys = [selected[k] for k, c in named.items() if c.agg is None]
        if aggregated and keys:
            query = query.group_by(*[literal_column(k.name) for k in keys])
            if frame.rolled is not None:
                query = query.having(rollup.present(frame.rolled))
        order: list[ColumnElement[Any]] = [literal_column(selected[o.column].name).desc() if o.order == "DESC"
                 else literal_column(selected[o.column].name).asc() for o in chart.data.order_by]
        x = chart.chart_options.column
        if not order and x in selected:
            order = [literal_column(selected[x].name).asc()]
        order += [literal_column(k.name).asc() for k in keys]
        limit = min(window.limit, MAX_ROWS)
        counted_here = aggregated  # its groups are all made anyway (to sort them): count them in the same pass
        page = query.add_columns(func.count().over().label("total")) if counted_here else query
        page = page.order_by(*order).limit(limit).offset(window.offset)
        names = list(selected)
        fetched = conn.execute(page).all()
        found = [{names[i]: _plain(row[i]) for i in range(len(names))} for row in fetched]
        total = len(found) + window.offset
        if counted_here and fetched:
            total = int(fetched[0][-1])
        elif len(found) == limit or (window.offset and not found):
            counted = select(func.count()).select_from(query.subquery())
            if use_rollup and source.base == "Executions" and not aggregated and \
                    rollup.counts_rows(chart.data, unit):  # one row per execution: count them in the roll-up
                rolled = self._rolled(window)
                assert rolled.rolled is not None
                counted = self._from(select(rollup.measure(rolled.rolled, Column(agg="COUNT"))), rolled) \
                    .where(*self._conditions(rolled, source, chart.data.where, window))
            total = int(conn.execute(counted).scalar_one())
        return ChartRows(found, total)

    def _kpi(self, conn: Connection, frame: Frame, source: source_fields.Source, chart: Chart,
             conditions: list[ColumnElement[bool]]) -> ChartRows:
        assert chart.data is not None and isinstance(chart.data.columns, Column)
        column = chart.data.columns
        top = None if chart.data.numerator is None else \
            and_(true(), *(self._filter(frame, source, f) for f in chart.data.numerator))
        if frame.rolled is not None:
            parts = [rollup.measure(frame.rolled, column)]
            if top is not None:
                parts.append(rollup.measure(frame.rolled, column, top))
        else:
            value = frame.exprs[column.field](column.label_key) if column.field else literal(1)
            agg = _AGG[column.agg or "COUNT"]
            parts = [agg(value)]
            if top is not None:
                parts.append(agg(case((top, value))))
        row = conn.execute(self._from(select(*parts), frame).where(*conditions)).one()
        total = _plain(row[0])
        if chart.data.numerator is None:
            return ChartRows([{"value": total}], 1)
        top_value = _plain(row[1]) or 0
        ratio = (float(top_value) / float(total)) if total else None
        return ChartRows([{"value": ratio, "numerator": top_value, "denominator": total}], 1)

    def _from(self, query: Select[Any], frame: Frame) -> Select[Any]:
        return query.select_from(frame.from_)

    def _column(self, frame: Frame, source: source_fields.Source, column: Column, aggregated: bool,
                unit: str) -> ColumnElement[Any]:
        if frame.rolled is not None and column.agg is not None:
            return rollup.measure(frame.rolled, column)
        if column.field is None:
            return func.count()
        expr = frame.exprs[column.field](column.label_key)
        if column.agg is not None:
            return _AGG[column.agg](expr)
        if aggregated and source.fields[column.field] == "date":
            return self._dialect.date_bucket(expr, unit)
        return expr

    def _conditions(self, frame: Frame, source: source_fields.Source, where: Sequence[Filter],
                    window: ChartWindow) -> list[ColumnElement[bool]]:
        out = list(frame.always)
        if frame.tenant is not None:
            out.append(frame.tenant == window.tenant)
        if frame.time is not None and source.windowed:
            out += [frame.time >= window.start, frame.time <= window.end]
        if window.namespaces is not None:
            out.append(within(frame.namespace, window.namespaces))
        out += [self._filter(frame, source, f) for f in where]
        return out

    def _filter(self, frame: Frame, source: source_fields.Source, f: Filter) -> ColumnElement[bool]:
        if f.type == "OR":
            return or_(false(), *(self._filter(frame, source, Filter.model_validate(v)) for v in f.values or ()))
        assert f.field is not None
        expr = frame.exprs[f.field](f.label_key)
        kind = source.fields[f.field]
        match f.type:
            case "IS_NULL":
                return expr.is_(None)
            case "IS_NOT_NULL":
                return expr.is_not(None)
            case "IS_TRUE":
                return expr == true()
            case "IS_FALSE":
                return expr == false()
            case "IN":
                return expr.in_([_value(v, kind) for v in f.values or ()])
            case "NOT_IN":
                return expr.not_in([_value(v, kind) for v in f.values or ()])
            case "CONTAINS":
                return cast(expr, String()).contains(str(f.value), autoescape=True)
            case "STARTS_WITH":
                return cast(expr, String()).startswith(str(f.value), autoescape=True)
            case "ENDS_WITH":
                return cast(expr, String()).endswith(str(f.value), autoescape=True)
            case "REGEX":
                return cast(expr, String()).regexp_match(str(f.value))
        value = _value(f.value, kind)
        compared: ColumnElement[bool]
        match f.type:
            case "EQUAL_TO":
                compared = expr == value
            case "NOT_EQUAL_TO":
                compared = expr != value
            case "GREATER_THAN":
                compared = expr > value
            case "GREATER_THAN_OR_EQUAL_TO":
                compared = expr >= value
            case "LESS_THAN":
                compared = expr < value
            case "LESS_THAN_OR_EQUAL_TO":
                compared = expr <= value
            case _:
                raise AssertionError(f"unhandled filter {f.type}")
        return compared


def _constant(plain: dict[str, ColumnElement[Any]]) -> dict[str, Callable[[str | None], ColumnElement[Any]]]:
    return {name: _fixed(expr) for name, expr in plain.items()}


def _fixed(expr: ColumnElement[Any]) -> Callable[[str | None], ColumnElement[Any]]:
    """A field's expression that takes no label key."""
    def build(_key: str | None) -> ColumnElement[Any]:
        return expr
    return build


def _alias(i: int) -> str:
    return f"c{i}"  # column names of the YAML never reach the SQL text


def _value(value: Any, kind: str) -> Any:
    if kind == "number":
        return float(value)
    if kind == "date":
        return parse_instant(str(value))
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
