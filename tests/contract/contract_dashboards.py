"""Contract: dashboards (sources stored per tenant and id) and their charts run as SQL: every data source, the
aggregations, `where` filters, `orderBy`, date buckets, KPI numerators, the reader's namespaces and paging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from legato.dashboards import Chart, parse_dashboard
from legato.model.execution import Execution, Label, LogRecord, TaskRun
from legato.model.ids import new_id
from legato.model.state import State
from legato.store.ports import ChartWindow, DashboardRecord
from legato.store.schema import executions, task_runs, triggers
from legato.store.sql import SqlStore

from .helpers import NOW, at

DAY = timedelta(days=1)
WINDOW = ChartWindow(start=NOW - 10 * DAY, end=NOW + DAY)
_PREFIX = "io.kestra.plugin.core.dashboard"


def chart(kind: str, data: str, body: str, options: str = "") -> Chart:
    """One chart of a dashboard written as YAML (checked like any dashboard)."""
    lines = [f"title: t\ncharts:\n  - id: c\n    type: {_PREFIX}.chart.{kind}\n"]
    if options:
        lines.append(f"    chartOptions: {options}\n")
    lines.append(f"    data:\n      type: {_PREFIX}.data.{data}\n")
    lines.append("".join(f"      {line}\n" for line in body.strip("\n").splitlines()))
    return parse_dashboard("".join(lines)).charts[0]


def seed(store: SqlStore) -> list[str]:
    """Six executions over three days in two namespaces, with labels, task runs with metrics, and logs."""
    spec: list[tuple[str, str, State, int, float | None, str]] = [
        # namespace, flow, state, days ago, seconds it ran (None: still running), env label
        ("company.team", "hello", State.SUCCESS, 0, 10.0, "prod"),
        ("company.team", "hello", State.FAILED, 0, 30.0, "prod"),
        ("company.team", "hello", State.SUCCESS, 1, 20.0, "dev"),
        ("company.team", "report", State.SUCCESS, 2, 40.0, "prod"),
        ("other", "batch", State.RUNNING, 0, None, "dev"),
        ("other", "batch", State.SUCCESS, 30, 5.0, "prod"),  # outside the window
    ]
    ids = []
    with store.database.engine.begin() as conn:
        for n, (ns, flow, state, ago, ran, env) in enumerate(spec):
            created = NOW - ago * DAY + timedelta(minutes=n)
            e = Execution(id=new_id(), namespace=ns, flow_id=flow, flow_revision=1 + n % 2, state=state,
                          created=created, labels=(Label(key="env", value=env),))
            ended = None if ran is None else created + timedelta(seconds=ran)
            conn.execute(insert(executions), {"id": e.id, "namespace": ns, "flow_id": flow, "flow_revision":
                                              e.flow_revision, "state": state.value, "parent_id": None,
                                              "created": created, "ended": ended, "data": e, "transient": False})
            run = TaskRun(id=new_id(), execution_id=e.id, task_id="load", state=State.SUCCESS,
                          metrics=[{"name": "rows", "type": "counter", "value": 100 * (n + 1)},
                                   {"name": "size", "type": "counter", "value": 1}])
            conn.execute(insert(task_runs), {"id": run.id, "execution_id": e.id, "parent_id": None,
                                             "branch": "tasks", "iteration": None, "task_id": "load",
                                             "state": "SUCCESS", "data": run})
            ids.append(e.id)
        conn.execute(insert(triggers), [
            {"namespace": "company.team", "flow_id": "hello", "trigger_id": "daily", "disabled": False,
             "next_date": NOW + DAY, "lease_owner": None, "updated": NOW},
            {"namespace": "other", "flow_id": "batch", "trigger_id": "hourly", "disabled": False,
             "next_date": NOW + timedelta(hours=1), "lease_owner": "worker-1", "updated": NOW}])
    store.append_logs([
        LogRecord(execution_id=ids[0], task_id="load", level="INFO", message="started", timestamp=at(1)),
        LogRecord(execution_id=ids[1], task_id="load", level="ERROR", message="boom: disk full", timestamp=at(2)),
        LogRecord(execution_id=ids[1], task_id="load", level="ERROR", message="boom again", timestamp=at(3)),
        LogRecord(execution_id=ids[4], task_id="load", level="WARN", message="slow", timestamp=at(4)),
        LogRecord(execution_id=ids[5], task_id="load", level="ERROR", message="old", timestamp=NOW - 30 * DAY)])
    for ns, flow in (("company.team", "hello"), ("company.team", "report"), ("other", "batch"),
                     ("other", "gone")):
        store.save_flow(ns, flow, f"id: {flow}\nnamespace: {ns}", disabled=False, now=NOW)
    store.save_flow("company.team", "hello", "id: hello\nnamespace: company.team\n# v2", disabled=False, now=NOW)
    store.delete_flow("other", "gone", NOW)
    return ids


def rows(store: SqlStore, c: Chart, window: ChartWindow = WINDOW) -> list[dict[str, Any]]:
    return store.chart_rows(c, window).rows


class DashboardContract:
    def test_dashboards_are_saved_replaced_listed_and_deleted(self, store: SqlStore) -> None:
        first = store.save_dashboard(DashboardRecord("ops", "Ops", "title: Ops", NOW, NOW))
        store.save_dashboard(DashboardRecord("alpha", "Alpha", "title: Alpha", NOW, NOW))
        again = store.save_dashboard(DashboardRecord("ops", "Ops 2", "title: Ops 2", at(5), at(5)))
        assert (again.created, again.updated, again.title) == (first.created, at(5), "Ops 2")
        assert store.get_dashboard("ops") == again
        assert [d.id for d in store.list_dashboards()] == ["alpha", "ops"]
        assert store.list_dashboards("other-tenant") == []
        assert store.delete_dashboard("ops") is True
        assert store.delete_dashboard("ops") is False
        assert store.get_dashboard("ops") is None

    def test_a_deploy_replaces_dashboards_in_one_transaction(self, store: SqlStore) -> None:
        store.save_dashboard(DashboardRecord("old", "Old", "title: Old", NOW, NOW))
        store.replace_dashboards([DashboardRecord("new", "New", "title: New", at(1), at(1)),
                                  DashboardRecord("ops", "Ops", "title: Ops", at(1), at(1))], ["old", "absent"])
        assert [d.id for d in store.list_dashboards()] == ["new", "ops"]
        store.replace_dashboards([DashboardRecord("t", "T", "title: T", NOW, NOW, tenant="acme")], ["new"],
                                 tenant="acme")  # deletions are of that tenant only
        assert [d.id for d in store.list_dashboards()] == ["new", "ops"]
        assert [d.id for d in store.list_dashboards("acme")] == ["t"]

    def test_executions_counted_by_state_in_the_time_window(self, store: SqlStore) -> None:
        seed(store)
        c = chart("Pie", "Executions", "columns:\n  state: {field: STATE}\n  total: {agg: COUNT}")
        assert rows(store, c) == [{"state": "FAILED", "total": 1}, {"state": "RUNNING", "total": 1},
                                  {"state": "SUCCESS", "total": 3}]

    def test_aggregations_of_durations_by_namespace_ordered(self, store: SqlStore) -> None:
        seed(store)
        body = """columns:
  ns: {field: NAMESPACE}
  longest: {field: DURATION, agg: MAX}
  shortest: {field: DURATION, agg: MIN}
  total: {field: DURATION, agg: SUM}
  mean: {field: DURATION, agg: AVG}
  runs: {field: ID, agg: COUNT}
orderBy: [{column: runs, order: DESC}]"""
        got = rows(store, chart("Table", "Executions", body))
        assert [r["ns"] for r in got] == ["company.team", "other"]
        team = got[0]
        assert (team["longest"], team["shortest"], team["total"], team["runs"]) == (40.0, 10.0, 100.0, 4)
        assert team["mean"] == pytest.approx(25.0)
        assert got[1]["runs"] == 1 and got[1]["longest"] is None  # still running: no duration

    def test_time_series_buckets_start_dates_by_day(self, store: SqlStore) -> None:
        seed(store)
        body = "columns:\n  date: {field: START_DATE}\n  total: {agg: COUNT}"
        got = rows(store, chart("TimeSeries", "Executions", body, "{column: date}"))
        days = [(r["date"][:10], r["total"]) for r in got]
        assert days == [("2025-02-27", 1), ("2025-02-28", 1), ("2025-03-01", 3)]
        assert got[-1]["date"].startswith("2025-03-01T00:00:00")
        hourly = rows(store, chart("TimeSeries", "Executions", body, "{column: date}"),
                      ChartWindow(start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=1)))
        assert hourly == [{"date": "2025-03-01T12:00:00+00:00", "total": 3}]

    def test_where_filters(self, store: SqlStore) -> None:
        seed(store)
        def ids(where: str) -> int:
            c = chart("Table", "Executions", f"columns:\n  total: {{agg: COUNT}}\nwhere: {where}")
            return int(rows(store, c)[0]["total"])
        assert ids("[{field: STATE, type: EQUAL_TO, value: SUCCESS}]") == 3
        assert ids("[{field: STATE, type: NOT_EQUAL_TO, value: SUCCESS}]") == 2
        assert ids("[{field: STATE, type: IN, values: [FAILED, RUNNING]}]") == 2
        assert ids("[{field: STATE, type: NOT_IN, values: [FAILED, RUNNING]}]") == 3
        assert ids("[{field: NAMESPACE, type: STARTS_WITH, value: comp}]") == 4
        assert ids("[{field: FLOW_ID, type: CONTAINS, value: epo}]") == 1
        assert ids("[{field: FLOW_ID, type: ENDS_WITH, value: llo}]") == 3
        assert ids("[{field: FLOW_ID, type: REGEX, value: '^(hel|bat)'}]") == 4
        assert ids("[{field: DURATION, type: GREATER_THAN, value: 20}]") == 2
        assert ids("[{field: DURATION, type: LESS_THAN_OR_EQUAL_TO, value: 20}]") == 2
        assert ids("[{field: END_DATE, type: IS_NULL}]") == 1
        assert ids("[{field: END_DATE, type: IS_NOT_NULL}]") == 4
        assert ids("[{field: LABELS, labelKey: env, type: EQUAL_TO, value: dev}]") == 2
        assert ids(f"[{{field: START_DATE, type: GREATER_THAN_OR_EQUAL_TO, value: '{NOW.date()}T00:00:00Z'}}]") == 3
        assert ids("[{type: OR, values: [{field: STATE, type: EQUAL_TO, value: FAILED},"
                   " {field: FLOW_ID, type: EQUAL_TO, value: report}]}]") == 2
        # a value that looks like SQL is only ever a bound value
        assert ids("[{field: STATE, type: EQUAL_TO, value: \"x' OR '1'='1\"}]") == 0

    def test_labels_as_a_column(self, store: SqlStore) -> None:
        seed(store)
        body = "columns:\n  env: {field: LABELS, labelKey: env}\n  total: {agg: COUNT}"
        assert rows(store, chart("Bar", "Executions", body, "{column: env}")) == [
            {"env": "dev", "total": 2}, {"env": "prod", "total": 3}]

    def test_kpi_with_a_numerator_is_a_ratio(self, store: SqlStore) -> None:
        seed(store)
        body = ("columns: {field: ID, agg: COUNT}\nnumerator: [{field: STATE, type: IN, values: [SUCCESS]}]\n"
                "where: [{field: NAMESPACE, type: EQUAL_TO, value: company.team}]")
        got = rows(store, chart("KPI", "ExecutionsKPI", body, "{numberType: PERCENTAGE}"))
        assert got == [{"value": 0.75, "numerator": 3, "denominator": 4}]
        flat = chart("KPI", "ExecutionsKPI", "columns: {field: DURATION, agg: SUM}")
        assert rows(store, flat) == [{"value": 100.0}]

    def test_reader_sees_only_its_namespaces(self, store: SqlStore) -> None:
        seed(store)
        c = chart("Table", "Executions", "columns:\n  ns: {field: NAMESPACE}\n  total: {agg: COUNT}")
        scoped = ChartWindow(start=WINDOW.start, end=WINDOW.end, namespaces=("other",))
        assert rows(store, c, scoped) == [{"ns": "other", "total": 1}]

    def test_rows_are_paged_with_their_total(self, store: SqlStore) -> None:
        seed(store)
        c = chart("Table", "Executions", "columns:\n  id: {field: ID}\n  flow: {field: FLOW_ID}\n"
                                         "orderBy: [{column: flow}]")
        page = store.chart_rows(c, ChartWindow(start=WINDOW.start, end=WINDOW.end, limit=2, offset=2))
        assert page.total == 5 and [r["flow"] for r in page.rows] == ["hello", "hello"]

    def test_logs_by_level_and_namespace(self, store: SqlStore) -> None:
        seed(store)
        body = ("columns:\n  level: {field: LEVEL}\n  ns: {field: NAMESPACE}\n  total: {agg: COUNT}\n"
                "orderBy: [{column: total, order: DESC}]")
        assert rows(store, chart("Table", "Logs", body)) == [
            {"level": "ERROR", "ns": "company.team", "total": 2}, {"level": "INFO", "ns": "company.team", "total": 1},
            {"level": "WARN", "ns": "other", "total": 1}]
        errors = chart("KPI", "LogsKPI", "columns: {agg: COUNT}\nnumerator: [{field: LEVEL, type: EQUAL_TO, "
                                         "value: ERROR}]")
        assert rows(store, errors) == [{"value": 0.5, "numerator": 2, "denominator": 4}]
        listed = chart("Table", "Logs", "columns:\n  message: {field: MESSAGE}\n"
                                        "where: [{field: MESSAGE, type: CONTAINS, value: 'disk'}]")
        assert rows(store, listed) == [{"message": "boom: disk full"}]

    def test_metrics_summed_by_name(self, store: SqlStore) -> None:
        seed(store)
        body = ("columns:\n  name: {field: NAME}\n  value: {field: VALUE, agg: SUM}\n"
                "where: [{field: NAMESPACE, type: EQUAL_TO, value: company.team}]")
        assert rows(store, chart("Table", "Metrics", body)) == [{"name": "rows", "value": 1000.0},
                                                                 {"name": "size", "value": 4.0}]
        kpi = chart("KPI", "MetricsKPI", "columns: {field: VALUE, agg: MAX}\n"
                                         "where: [{field: NAME, type: EQUAL_TO, value: rows}]")
        assert rows(store, kpi) == [{"value": 500.0}]

    def test_live_flows_latest_revisions(self, store: SqlStore) -> None:
        seed(store)
        body = "columns:\n  ns: {field: NAMESPACE}\n  flows: {field: ID, agg: COUNT}\n  rev: {field: REVISION, agg: MAX}"
        assert rows(store, chart("Table", "Flows", body)) == [{"ns": "company.team", "flows": 2, "rev": 2},
                                                              {"ns": "other", "flows": 1, "rev": 1}]
        assert rows(store, chart("KPI", "FlowsKPI", "columns: {field: ID, agg: COUNT}")) == [{"value": 3}]

    def test_triggers_with_their_next_date(self, store: SqlStore) -> None:
        seed(store)
        body = ("columns:\n  id: {field: ID}\n  next: {field: NEXT_EXECUTION_DATE}\n  worker: {field: WORKER_ID}\n"
                "orderBy: [{column: next}]")
        got = rows(store, chart("Table", "Triggers", body))
        assert [(r["id"], r["worker"]) for r in got] == [("other_batch_hourly", "worker-1"),
                                                         ("company.team_hello_daily", None)]
        assert got[0]["next"].startswith("2025-03-01T13:00:00")
