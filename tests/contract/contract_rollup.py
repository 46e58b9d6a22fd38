"""Contract: the executions' daily roll-up. Database triggers keep it exact through inserts, updates, deletes and
transient rows, folded or not; charts answered from it give the rows the raw query gives, on random data."""

from __future__ import annotations

import ast
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, update

from legato.dashboards import Chart, Dashboard, parse_dashboard
from legato.dashboards import fields as source_fields
from legato.dashboards.defaults import DEFAULT_SOURCE
from legato.model.execution import Execution
from legato.model.state import State
from legato.store import rollup
from legato.store.charts import bucket_unit
from legato.store.ports import ChartWindow
from legato.store.schema import execution_day_deltas, execution_days, executions
from legato.store.sql import SqlStore

from .contract_dashboards import chart
from .helpers import NOW

DAY = timedelta(days=1)
_STATES = [State.SUCCESS, State.FAILED, State.RUNNING, State.WARNING, State.KILLED]
_NAMESPACES = ["company.team", "company.data", "other"]
_FLOWS = ["hello", "report", "batch", "sync"]
_DATE = "{column: date}"

# Charts the roll-up answers (checked below), with what a dashboard asks most: counts by state, namespace, flow
# and date, durations, filters on keys (with OR, IN, patterns), KPIs with a numerator, paging.
_CHARTS: list[tuple[str, str, str, str]] = [
    ("Pie", "Executions", "columns:\n  state: {field: STATE}\n  total: {agg: COUNT}", ""),
    ("TimeSeries", "Executions", "columns:\n  date: {field: START_DATE}\n  state: {field: STATE}\n"
     "  total: {agg: COUNT}\n  mean: {field: DURATION, agg: AVG}", _DATE),
    ("Table", "Executions", "columns:\n  date: {field: START_DATE}\n  ended: {field: END_DATE, agg: COUNT}\n"
     "  spent: {field: DURATION, agg: SUM}\n  runs: {field: ID, agg: COUNT}", ""),
    ("Table", "Executions", "columns:\n  ns: {field: NAMESPACE}\n  flow: {field: FLOW_ID}\n  n: {agg: COUNT}\n"
     "where: [{field: STATE, type: IN, values: [FAILED, WARNING]}]\norderBy: [{column: n, order: DESC}]", ""),
    ("Table", "Executions", "columns:\n  ns: {field: NAMESPACE}\n  total: {agg: COUNT}\n"
     "  spent: {field: DURATION, agg: SUM}\nwhere: [{type: OR, values: [{field: FLOW_ID, type: STARTS_WITH, "
     "value: re}, {field: STATE, type: NOT_EQUAL_TO, value: SUCCESS}]}]", ""),
    ("Table", "Executions", "columns:\n  total: {agg: COUNT}\n  mean: {field: DURATION, agg: AVG}\n"
     "where: [{field: NAMESPACE, type: ENDS_WITH, value: team}]", ""),
    ("KPI", "ExecutionsKPI", "columns: {field: ID, agg: COUNT}\n"
     "numerator: [{field: STATE, type: EQUAL_TO, value: SUCCESS}]", "{numberType: PERCENTAGE}"),
    ("KPI", "ExecutionsKPI", "columns: {field: DURATION, agg: AVG}\n"
     "numerator: [{field: FLOW_ID, type: IN, values: [hello, sync]}]", ""),
    ("KPI", "ExecutionsKPI", "columns: {field: DURATION, agg: SUM}\n"
     "where: [{field: STATE, type: EQUAL_TO, value: RUNNING}]", ""),
]


def _row(rng: random.Random, n: int, days: int = 60, created: datetime | None = None) -> dict[str, Any]:
    if created is None:
        created = NOW - timedelta(microseconds=rng.randrange(int(days * DAY / timedelta(microseconds=1))))
    state = rng.choice(_STATES)
    ended = None if state == State.RUNNING else created + timedelta(microseconds=rng.randrange(1, 10**9))
    ns, flow = rng.choice(_NAMESPACES), rng.choice(_FLOWS)
    e = Execution(id=f"r{n:06d}", namespace=ns, flow_id=flow, flow_revision=1, state=state, created=created)
    return {"id": e.id, "namespace": ns, "flow_id": flow, "flow_revision": 1, "state": state.value,
            "parent_id": None, "created": created, "ended": ended, "data": e, "transient": rng.random() < 0.1}


def _random_history(store: SqlStore, rng: random.Random, n: int = 400, days: int = 60) -> None:
    """`n` executions over `days` days, then updates (states, end dates, a move, transient flags) and deletes, with
    part of the deltas folded in between."""
    rows = [_row(rng, i, days) for i in range(n)]
    with store.database.engine.begin() as conn:
        conn.execute(insert(executions), rows[: n // 2])
    store.fold_execution_days(37)  # part of them folded
    with store.database.engine.begin() as conn:
        conn.execute(insert(executions), rows[n // 2:])
        for row in rng.sample(rows, n // 4):
            ended = row["created"] + timedelta(microseconds=rng.randrange(1, 10**9))
            conn.execute(update(executions).where(executions.c.id == row["id"]).values(
                state=rng.choice(_STATES).value, ended=rng.choice([None, ended])))
        for row in rng.sample(rows, n // 20):
            conn.execute(update(executions).where(executions.c.id == row["id"]).values(
                transient=not row["transient"], created=row["created"] - DAY, namespace="other"))
        conn.execute(delete(executions).where(executions.c.id.in_([r["id"] for r in rng.sample(rows, n // 10)])))
    store.fold_execution_days(101)  # and some deltas left unfolded


def _same(rolled: list[dict[str, Any]], raw: list[dict[str, Any]]) -> None:
    """Equal rows; sums and averages of durations equal to float rounding (the roll-up adds exact microseconds,
    the raw query floating-point seconds)."""
    assert [r.keys() for r in rolled] == [r.keys() for r in raw]
    for mine, theirs in zip(rolled, raw, strict=True):
        for key, value in theirs.items():
            if isinstance(value, float):
                assert mine[key] == pytest.approx(value, rel=1e-9), key
            else:
                assert mine[key] == value, key


class RollupContract:
    def test_the_roll_up_follows_every_change_of_executions(self, store: SqlStore) -> None:
        _random_history(store, random.Random(7))
        expected = _group_raw(store)
        assert _group_rolled(store) == expected  # deltas folded or not
        while store.fold_execution_days(50) == 50:
            pass
        with store.database.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(execution_day_deltas)).scalar_one() == 0
            assert conn.execute(select(func.count()).select_from(execution_days)
                                .where(execution_days.c.n == 0)).scalar_one() == 0  # emptied groups go
        assert _group_rolled(store) == expected

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_charts_from_the_roll_up_equal_charts_from_raw_rows(self, store: SqlStore, seed: int) -> None:
        rng = random.Random(seed)
        _random_history(store, rng)
        charts = [chart(*spec) for spec in _CHARTS]
        for span in (timedelta(days=3, hours=5), timedelta(days=17), timedelta(days=75)):
            end = NOW - timedelta(microseconds=rng.randrange(int(DAY / timedelta(microseconds=1))))
            start = end - span
            for namespaces in (None, ("company.team", "other")):
                window = ChartWindow(start=start, end=end, namespaces=namespaces, limit=1000)
                for c in charts:
                    assert _fits(c, window), c.data
                    _same(store.chart_rows(c, window).rows, store.chart_rows(c, window, use_rollup=False).rows)

    def test_paging_and_totals_from_the_roll_up(self, store: SqlStore) -> None:
        _random_history(store, random.Random(5))
        c = chart("Table", "Executions", "columns:\n  date: {field: START_DATE}\n  flow: {field: FLOW_ID}\n"
                                         "  n: {agg: COUNT}\norderBy: [{column: n, order: DESC}]")
        window = ChartWindow(start=NOW - 40 * DAY, end=NOW, limit=7, offset=14)
        page, raw = store.chart_rows(c, window), store.chart_rows(c, window, use_rollup=False)
        assert page.total == raw.total > 21
        assert len(page.rows) == 7
        _same(page.rows, raw.rows)
        listing = chart("Table", "Executions", "columns:\n  id: {field: ID}\n  start: {field: START_DATE}\n"
                        "where: [{field: STATE, type: IN, values: [FAILED, WARNING]}]\n"
                        "orderBy: [{column: start, order: DESC}]")
        for scope in (None, ("other",)):
            first = ChartWindow(start=NOW - 40 * DAY + timedelta(hours=5), end=NOW, namespaces=scope, limit=5)
            page, raw = store.chart_rows(listing, first), store.chart_rows(listing, first, use_rollup=False)
            assert page == raw and page.total > 5  # the total of a listing is counted in the roll-up
            assert rollup.counts_rows(listing.data, "day")  # type: ignore[arg-type]

    def test_charts_the_roll_up_cannot_answer_read_raw_rows(self, store: SqlStore) -> None:
        window = ChartWindow(start=NOW - 30 * DAY, end=NOW)
        for body in ("columns:\n  env: {field: LABELS, labelKey: env}\n  n: {agg: COUNT}",
                     "columns:\n  longest: {field: DURATION, agg: MAX}",
                     "columns:\n  n: {agg: COUNT}\nwhere: [{field: DURATION, type: GREATER_THAN, value: 3}]",
                     "columns:\n  id: {field: ID}\n  state: {field: STATE}"):
            assert not _fits(chart("Table", "Executions", body), window)
        short = chart("Pie", "Executions", "columns:\n  state: {field: STATE}\n  total: {agg: COUNT}")
        assert not _fits(short, ChartWindow(start=NOW - DAY, end=NOW))  # hours: raw rows

    @pytest.mark.parametrize("which", ["bench", "default"])
    def test_whole_dashboards_from_the_roll_up_equal_raw_rows(self, store: SqlStore, which: str) -> None:
        """Every chart of the benchmark's dashboard (bench/dashboards.py) and of the built-in one gives the rows and
        totals of the raw query: ranges of a week to a year (days and weeks) ending mid-day or on a midnight, with
        executions on and just past their edges; executions still running when folded that end after the fold,
        and executions created after it; `where` filters, KPI numerators, a reader's namespaces, paging."""
        dashboard = parse_dashboard(_bench_source() if which == "bench" else DEFAULT_SOURCE)
        rng = random.Random(19)
        _random_history(store, rng, n=600, days=400)
        midnight = datetime(NOW.year, NOW.month, NOW.day, tzinfo=UTC)
        ends = (NOW - timedelta(hours=7, minutes=13, microseconds=17), midnight)
        windows = [(end - span, end) for end in ends for span in (7 * DAY, 30 * DAY + timedelta(hours=3),
                                                                   120 * DAY, 366 * DAY)]
        running = [_row(rng, 10_000 + i, created=at) for i, at in enumerate(_edges(windows))]
        with store.database.engine.begin() as conn:  # running executions on and around every edge of the ranges
            conn.execute(insert(executions), [{**r, "state": "RUNNING", "ended": None, "transient": False}
                                               for r in running])
        while store.fold_execution_days(500) == 500:
            pass
        with store.database.engine.begin() as conn:  # after the roll-up: half of them end, more executions start
            for r in running[::2]:
                conn.execute(update(executions).where(executions.c.id == r["id"]).values(
                    state=rng.choice(["SUCCESS", "FAILED", "WARNING"]), ended=r["created"] + timedelta(seconds=90)))
            conn.execute(insert(executions), [_row(rng, 20_000 + i, created=w[1] - timedelta(hours=i))
                                              for i, w in enumerate(windows)])
        for folded in (False, True):
            if folded:
                while store.fold_execution_days(500) == 500:
                    pass
            rolled = _same_dashboard(store, dashboard, windows)
            assert rolled >= (5 if which == "bench" else 4) * len(windows) * 6  # the roll-up did answer them


def _fits(c: Chart, window: ChartWindow) -> bool:
    assert c.data is not None
    source = source_fields.source(c.data.type)
    assert source is not None
    return rollup.fits(c.data, source.kpi, bucket_unit(window.end - window.start))


def _group_raw(store: SqlStore) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    """What the roll-up should hold, computed in Python from the executions."""
    out: dict[tuple[Any, ...], list[int]] = {}
    with store.database.engine.connect() as conn:
        found = conn.execute(select(executions.c.created, executions.c.namespace, executions.c.flow_id,
                                    executions.c.state, executions.c.ended)
                             .where(executions.c.transient.is_(False))).all()
    for created, ns, flow, state, ended in found:
        day = datetime(created.year, created.month, created.day, tzinfo=created.tzinfo)
        total = out.setdefault((day, ns, flow, state), [0, 0, 0])
        total[0] += 1
        if ended is not None:
            total[1] += 1
            total[2] += (ended - created) // timedelta(microseconds=1)
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def _group_rolled(store: SqlStore) -> dict[tuple[Any, ...], tuple[int, int, int]]:
    """The roll-up plus its deltas not folded yet, per key (groups summing to nothing left out)."""
    out: dict[tuple[Any, ...], list[int]] = {}
    with store.database.engine.connect() as conn:
        for table in (execution_days, execution_day_deltas):
            c = table.c
            for day, ns, flow, state, n, ended_n, micros in conn.execute(
                    select(c.day, c.namespace, c.flow_id, c.state, c.n, c.ended_n, c.duration_us)):
                total = out.setdefault((day, ns, flow, state), [0, 0, 0])
                total[0] += n
                total[1] += ended_n
                total[2] += micros
    return {k: (v[0], v[1], v[2]) for k, v in out.items() if any(v)}


def _bench_source() -> str:
    """The YAML of the dashboard bench/dashboards.py times (read from its source, without running it)."""
    bench = Path(__file__).resolve().parents[2] / "bench" / "dashboards.py"
    for node in ast.parse(bench.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DASHBOARD" for t in node.targets):
            value = ast.literal_eval(node.value)
            assert isinstance(value, str)
            return value
    raise AssertionError(f"no DASHBOARD in {bench}")


def _edges(windows: list[tuple[datetime, datetime]]) -> list[datetime]:
    """Instants on and around the edges of `windows`: each edge, a microsecond either side, and the midnights
    that start and end the whole days inside them."""
    us = timedelta(microseconds=1)
    out: set[datetime] = set()
    for start, end in windows:
        first = datetime(start.year, start.month, start.day, tzinfo=UTC) + DAY  # (a start on a midnight: an edge)
        last = datetime(end.year, end.month, end.day, tzinfo=UTC)
        for instant in (start, end, first, last):
            out |= {instant - us, instant, instant + us}
    return sorted(out)


def _same_dashboard(store: SqlStore, dashboard: Dashboard, windows: list[tuple[datetime, datetime]]) -> int:
    """Every data chart of `dashboard` for every window (all namespaces or two; every row, a page of them, a page
    past the last) gives the raw rows, and the number of rows as total; how many of these the roll-up answered."""
    rolled = 0
    for start, end in windows:
        for namespaces in (None, ("company.team", "other")):
            for c in dashboard.charts:
                if c.data is None:
                    continue
                every = 0
                for limit, offset in ((1000, 0), (5, 5), (5, 10_000)):
                    window = ChartWindow(start=start, end=end, namespaces=namespaces, limit=limit, offset=offset)
                    mine, raw = store.chart_rows(c, window), store.chart_rows(c, window, use_rollup=False)
                    every = every or len(raw.rows)  # the first page holds them all
                    assert mine.total == raw.total == every < 1000, (c.id, start, end, limit, offset)
                    _same(mine.rows, raw.rows)
                    source = source_fields.source(c.data.type)
                    assert source is not None
                    rolled += source.base == "Executions" and _fits(c, window)
    return rolled
