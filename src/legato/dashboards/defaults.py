"""The built-in dashboard of the home page, id `default`: shown until a dashboard of that id is saved (which then
replaces it; deleting that one brings the built-in back)."""

from __future__ import annotations

DEFAULT_ID = "default"

DEFAULT_SOURCE = """id: default
title: Overview
description: Executions, failures and error logs of every namespace you may see
timeWindow:
  default: P7D
  max: P366D
charts:
  - id: executions_per_day
    type: io.kestra.plugin.core.dashboard.chart.TimeSeries
    chartOptions:
      displayName: Executions
      column: date
      colorByColumn: state
      width: 8
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        date:
          field: START_DATE
          displayName: Date
        state:
          field: STATE
          displayName: State
        total:
          agg: COUNT
          displayName: Executions
          graphStyle: BARS
  - id: success_ratio
    type: io.kestra.plugin.core.dashboard.chart.KPI
    chartOptions:
      displayName: Success ratio
      numberType: PERCENTAGE
      width: 4
    data:
      type: io.kestra.plugin.core.dashboard.data.ExecutionsKPI
      columns:
        field: ID
        agg: COUNT
      numerator:
        - field: STATE
          type: IN
          values: [SUCCESS]
      where:
        - field: STATE
          type: IN
          values: [SUCCESS, WARNING, FAILED, KILLED]
  - id: executions_by_state
    type: io.kestra.plugin.core.dashboard.chart.Pie
    chartOptions:
      displayName: By state
      graphStyle: DONUT
      colorByColumn: state
      width: 4
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        state:
          field: STATE
          displayName: State
        total:
          agg: COUNT
          displayName: Executions
  - id: executions_per_namespace
    type: io.kestra.plugin.core.dashboard.chart.Bar
    chartOptions:
      displayName: Per namespace
      column: namespace
      width: 8
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        namespace:
          field: NAMESPACE
          displayName: Namespace
        state:
          field: STATE
          displayName: State
        total:
          agg: COUNT
          displayName: Executions
  - id: failed_flows
    type: io.kestra.plugin.core.dashboard.chart.Table
    chartOptions:
      displayName: Flows that failed
      width: 6
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        namespace:
          field: NAMESPACE
          displayName: Namespace
        flow:
          field: FLOW_ID
          displayName: Flow
        failures:
          agg: COUNT
          displayName: Failures
        last:
          field: START_DATE
          agg: MAX
          displayName: Last failure
      where:
        - field: STATE
          type: IN
          values: [FAILED, KILLED]
      orderBy:
        - column: failures
          order: DESC
  - id: error_logs
    type: io.kestra.plugin.core.dashboard.chart.Table
    chartOptions:
      displayName: Error logs per namespace
      width: 6
    data:
      type: io.kestra.plugin.core.dashboard.data.Logs
      columns:
        namespace:
          field: NAMESPACE
          displayName: Namespace
        level:
          field: LEVEL
          displayName: Level
        lines:
          agg: COUNT
          displayName: Lines
      where:
        - field: LEVEL
          type: IN
          values: [ERROR, WARN]
      orderBy:
        - column: lines
          order: DESC
"""
