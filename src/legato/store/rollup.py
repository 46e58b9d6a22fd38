"""The executions' daily roll-up (tables `execution_days` and `execution_day_deltas`, kept by the triggers of
migrations 0016 and 0018, per tenant): folding deltas into it, and the rows a dashboard chart of one tenant
aggregates instead of raw executions.

A chart over executions whose fields and filters the roll-up holds (namespace, flow, state, the start date by day
or week; COUNT of anything, SUM and AVG of the duration) reads *facts*: the roll-up's whole UTC days inside the
time range, the deltas of those days not folded yet, and the raw executions of the two partial days at its edges.
Every fact carries a count (n), a count of ended executions and a sum of durations in microseconds, so the
chart's aggregations over facts equal the same aggregations over raw rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Float,
    Insert,
    Row,
    Select,
    Subquery,
    case,
    cast,
    delete,
    func,
    literal,
    select,
    union_all,
)

from legato.dashboards.model import Column, Data, Filter
from legato.store.dialect import Dialect
from legato.store.schema import execution_day_deltas, execution_days, executions

_x, _r, _d = executions.c, execution_days.c, execution_day_deltas.c
KEYS = frozenset({"NAMESPACE", "FLOW_ID", "STATE"})  # filterable and groupable as they are
COUNTED = frozenset({"ID", "NAMESPACE", "FLOW_ID", "FLOW_REVISION", "STATE", "START_DATE"})  # never NULL
ENDED = frozenset({"DURATION", "END_DATE"})  # NULL until the execution ends
DAY = timedelta(days=1)
_KEYS = ("tenant", "day", "namespace", "flow_id", "state")
_MEASURES = ("n", "ended_n", "duration_us")
_LOCK = "execution_days.fold"


def fits(data: Data, kpi: bool, unit: str) -> bool:
    """Whether a chart of the Executions source can be answered from the roll-up: every filter on a key, every
    plain column a key or the start date grouped by day or week, every aggregation one the roll-up sums up."""
    if unit == "hour":
        return False  # a short range: raw rows are few, and the roll-up has no hours
    if not all(_filter_fits(f) for f in [*data.where, *(data.numerator or ())]):
        return False
    if kpi:
        return isinstance(data.columns, Column) and _measure_fits(data.columns)
    assert isinstance(data.columns, dict)
    columns = data.columns.values()
    if not any(c.agg is not None for c in columns):
        return False  # one row per execution: nothing to roll up
    return all(_measure_fits(c) if c.agg is not None else c.field in KEYS | {"START_DATE"} for c in columns)


def counts_rows(data: Data, unit: str) -> bool:
    """Whether the roll-up can count the rows of a chart listing executions one per row (its total for paging):
    every filter on a key, a range of whole days at least."""
    return unit != "hour" and all(_filter_fits(f) for f in data.where)


def _filter_fits(f: Filter) -> bool:
    if f.type == "OR":
        return all(_filter_fits(Filter.model_validate(v)) for v in f.values or ())
    return f.field in KEYS


def _measure_fits(column: Column) -> bool:
    agg = column.agg or "COUNT"
    if agg == "COUNT":
        return column.field is None or column.field in COUNTED | ENDED
    return agg in ("SUM", "AVG") and column.field == "DURATION"


def facts(dialect: Dialect, start: datetime, end: datetime, tenant: str) -> Subquery:
    """Rows of (day, namespace, flow_id, state, n, ended_n, duration_us) whose sums per key equal those of the
    non-transient executions of `tenant` created within [start, end]; `day` buckets like the execution's creation
    date."""
    first, last = _ceil_day(start), _floor_day(end)
    micros = func.coalesce(dialect.micros_between(_x.created, _x.ended), 0)
    raw = select(_x.created.label("day"), _x.namespace, _x.flow_id, _x.state, cast(literal(1), BigInteger).label("n"),
                 case((_x.ended.is_(None), 0), else_=1).label("ended_n"), cast(micros, BigInteger).label("duration_us")
                 ).where(_x.transient.is_(False), _x.tenant == tenant)
    if first >= last:  # no whole day in the range
        return raw.where(_x.created >= start, _x.created <= end).subquery("facts")
    parts: list[Select[Any]] = [raw.where(_x.created >= start, _x.created < first),
                                raw.where(_x.created >= last, _x.created <= end)]
    for c in (_r, _d):
        parts.append(select(c.day, c.namespace, c.flow_id, c.state, c.n, c.ended_n, c.duration_us)
                     .where(c.tenant == tenant, c.day >= first, c.day < last))
    return union_all(*parts).subquery("facts")


def measure(f: Subquery, column: Column, top: ColumnElement[bool] | None = None) -> ColumnElement[Any]:
    """The aggregation of `column` over facts `f` (only the facts meeting `top`, when given), as over raw rows."""

    def pick(value: ColumnElement[Any]) -> ColumnElement[Any]:
        return value if top is None else case((top, value))

    agg = column.agg or "COUNT"
    if agg == "COUNT":
        weight = f.c.ended_n if column.field in ENDED else f.c.n
        return cast(func.coalesce(func.sum(pick(weight)), 0), BigInteger())
    ended = cast(func.sum(pick(f.c.ended_n)), Float())
    seconds = cast(func.sum(pick(f.c.duration_us)), Float()) / 1_000_000.0
    if agg == "SUM":
        return case((ended > 0, seconds))  # a SUM of no value is NULL
    return seconds / func.nullif(ended, 0)


def present(f: Subquery) -> ColumnElement[bool]:
    """HAVING of a grouped chart: a group of facts that sum up to no execution is not a row."""
    return func.sum(f.c.n) > 0


def fold(dialect: Dialect, conn: Connection, limit: int) -> int:
    """Move up to `limit` of the oldest deltas into the roll-up (in the caller's transaction); how many.
    One folder at a time (a transaction lock), so folders never wait on each other's roll-up rows."""
    dialect.lock_key(conn, _LOCK)
    batch = select(_d.id).order_by(_d.id).limit(limit).scalar_subquery()
    moving = delete(execution_day_deltas).where(_d.id.in_(batch)).returning(*(_d[c] for c in _KEYS + _MEASURES))
    upsert = dialect.upsert_add(execution_days, _KEYS, _MEASURES)
    if dialect.dml_in_cte:  # one statement: the deltas never travel to this process
        moved = moving.cte("moved")
        sums = select(*(moved.c[k] for k in _KEYS), *(func.sum(moved.c[m]) for m in _MEASURES)) \
            .group_by(*(moved.c[k] for k in _KEYS))
        folded = upsert.from_select(list(_KEYS + _MEASURES), sums).cte("folded")
        counted = conn.execute(select(moved.c.day, func.count()).group_by(moved.c.day).add_cte(folded))
        per_day = [(day, int(n)) for day, n in counted]
    else:
        per_day = _fold_here(conn, upsert, conn.execute(moving).all())
    if per_day:
        conn.execute(delete(execution_days).where(_r.day.in_([d for d, _ in per_day]),
                                                  *(_r[m] == 0 for m in _MEASURES)))
    return sum(n for _, n in per_day)


def _fold_here(conn: Connection, upsert: Insert, moved: Sequence[Row[Any]]) -> list[tuple[datetime, int]]:
    """Sum `moved` deltas per key and add them to the roll-up; how many deltas of each day."""
    sums: dict[tuple[Any, ...], list[int]] = {}
    days: dict[datetime, int] = {}
    for row in moved:
        keys = len(_KEYS)
        total = sums.setdefault(tuple(row[:keys]), [0, 0, 0])
        for i in range(3):
            total[i] += int(row[keys + i])
        days[row.day] = days.get(row.day, 0) + 1
    if sums:
        conn.execute(upsert, [dict(zip(_KEYS + _MEASURES, (*k, *v), strict=True)) for k, v in sorted(sums.items())])
    return sorted(days.items())


def _floor_day(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return datetime(at.year, at.month, at.day, tzinfo=UTC)


def _ceil_day(at: datetime) -> datetime:
    floor = _floor_day(at)
    return floor if floor == at else floor + DAY
