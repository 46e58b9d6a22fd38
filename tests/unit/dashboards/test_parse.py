"""Reading dashboard YAML: Kestra's shapes accepted as written (full and short type names, a KPI's single column,
OR filters, Markdown with `content` or `source`), and each mistake reported at its line and path."""

from __future__ import annotations

import pytest

from legato.dashboards import parse_dashboard
from legato.dashboards.defaults import DEFAULT_SOURCE
from legato.dashboards.model import Column
from legato.dashboards.parse import parse_chart
from legato.model.errors import FlowValidationError

EVERY_SHAPE = """
title: Every shape
description: one chart of each type
timeWindow: {default: P7D, max: P365D}
charts:
  - id: trend
    type: io.kestra.plugin.core.dashboard.chart.TimeSeries
    chartOptions: {displayName: Trend, legend: {enabled: true}, tooltip: ALL, column: day, colorByColumn: state}
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        day: {field: START_DATE, displayName: Day}
        state: {field: STATE}
        runs: {agg: COUNT, graphStyle: BARS}
        seconds: {field: DURATION, agg: SUM, graphStyle: LINES}
  - id: share
    type: Pie
    chartOptions: {displayName: Share, graphStyle: PIE, colorByColumn: level}
    data:
      type: Logs
      columns: {level: {field: LEVEL}, lines: {agg: COUNT}}
      where: [{type: OR, values: [{field: LEVEL, type: EQUAL_TO, value: ERROR}, {field: LEVEL, type: IS_NOT_NULL}]}]
  - id: sales
    type: io.kestra.plugin.core.dashboard.chart.Table
    chartOptions: {displayName: Sales, header: {enabled: true}, pagination: {enabled: false}}
    data:
      type: io.kestra.plugin.core.dashboard.data.Metrics
      columns:
        namespace: {field: NAMESPACE}
        value: {field: VALUE, agg: SUM, columnAlignment: RIGHT}
      where: [{field: NAME, type: EQUAL_TO, value: sales_count}, {field: NAMESPACE, type: IN, values: [a, b]}]
      orderBy: [{column: value, order: DESC}]
  - id: ratio
    type: io.kestra.plugin.core.dashboard.chart.KPI
    chartOptions: {displayName: Ratio, numberType: PERCENTAGE, width: 3}
    data:
      type: io.kestra.plugin.core.dashboard.data.ExecutionsKPI
      columns: {field: FLOW_ID, agg: COUNT}
      numerator: [{field: STATE, type: IN, values: [SUCCESS]}]
  - id: flows
    type: Bar
    chartOptions: {displayName: Flows, column: ns}
    data:
      type: io.kestra.plugin.core.dashboard.data.Flows
      columns: {ns: {field: NAMESPACE}, count: {field: ID, agg: COUNT}}
  - id: next
    type: Table
    data:
      type: io.kestra.plugin.core.dashboard.data.Triggers
      columns: {id: {field: ID}, next: {field: NEXT_EXECUTION_DATE}}
  - id: text
    type: io.kestra.plugin.core.dashboard.chart.Markdown
    chartOptions: {displayName: Notes}
    source: {type: Text, content: "## Read me"}
  - id: plain
    type: io.kestra.plugin.core.dashboard.chart.Markdown
    content: Short form
"""


def problems(text: str) -> list[str]:
    with pytest.raises(FlowValidationError) as caught:
        parse_dashboard(text, "d.yaml")
    return [str(p) for p in caught.value.problems]


def test_every_chart_type_and_data_source_in_kestras_shapes() -> None:
    dashboard = parse_dashboard(EVERY_SHAPE)
    assert [c.id for c in dashboard.charts] == ["trend", "share", "sales", "ratio", "flows", "next", "text", "plain"]
    ratio = dashboard.chart("ratio")
    assert ratio is not None and ratio.data is not None and isinstance(ratio.data.columns, Column)
    assert dashboard.time_window.default_span.days == 7 and dashboard.id is None
    assert len(parse_dashboard(DEFAULT_SOURCE).charts) == 6


@pytest.mark.parametrize(("change", "expected"), [
    (("type: Pie", "type: Donut"), "d.yaml:17:11: charts[1].type: unknown chart type 'Donut'"),
    (("type: Logs", "type: Log"), "d.yaml:20:13: charts[1].data.type: unknown data source 'Log'"),
    (("{field: LEVEL}, lines", "{field: LEVELS}, lines"), "charts[1].data.columns.level.field: unknown field 'LEVELS'"),
    (("runs: {agg: COUNT, graphStyle: BARS}", "runs: {agg: COUNT, graphStyle: BAR}"),
     "charts[0].data.columns.runs.graphStyle: Input should be 'LINES', 'BARS' or 'POINTS'"),
    (("orderBy: [{column: value", "orderBy: [{column: total"),
     "charts[2].data.orderBy[0].column: 'total' is not one of the columns (namespace, value)"),
    (("columns: {field: FLOW_ID, agg: COUNT}", "columns: {flow: {field: FLOW_ID, agg: COUNT}}"),
     "charts[3].data.columns: a KPI's columns is one column (field, agg), not a map"),
    (("type: io.kestra.plugin.core.dashboard.data.ExecutionsKPI", "type: io.kestra.plugin.core.dashboard.data.Executions"),
     "charts[3].data.type: a KPI chart needs a KPI data source"),
    (("{field: LEVEL, type: IS_NOT_NULL}", "{field: LEVEL, type: GREATER_THAN}"),
     "charts[1].data.where[0].values[1].value: GREATER_THAN needs `value`"),
    (("- id: flows", "- id: trend"), "charts[4].id: two charts have the id 'trend'"),
    (("max: P365D", "max: P2D"), "timeWindow.default: the default time window is longer than the max one"),
    (("content: Short form", "contents: Short form"), "charts[7].contents: unknown property 'contents'"),
    (("seconds: {field: DURATION, agg: SUM", "seconds: {field: STATE, agg: SUM"),
     "charts[0].data.columns.seconds.agg: SUM needs a number field, and STATE is not one"),
])
def test_each_mistake_is_reported_at_its_line_and_path(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in EVERY_SHAPE
    found = problems(EVERY_SHAPE.replace(old, new, 1))
    assert any(expected in p for p in found), found


def test_a_chart_alone_for_the_preview() -> None:
    chart = parse_chart("id: c\ntype: KPI\ndata:\n  type: FlowsKPI\n  columns: {field: ID, agg: COUNT}\n")
    assert chart.id == "c"
    with pytest.raises(FlowValidationError, match=r"<chart>:4:9: data.type: unknown data source 'Flow'"):
        parse_chart("id: c\ntype: KPI\ndata:\n  type: Flow\n  columns: {field: ID, agg: COUNT}\n")
