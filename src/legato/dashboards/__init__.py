"""Custom dashboards in Kestra's YAML: charts over executions, flows, logs, metrics and triggers, each run as one
SQL query on the store (legato.store.charts) for a time range."""

from legato.dashboards.model import Chart, Column, Dashboard, Filter
from legato.dashboards.parse import parse_dashboard

__all__ = ["Chart", "Column", "Dashboard", "Filter", "parse_dashboard"]
