"""The dashboards aggregate: custom dashboards' YAML sources, and the rows of one chart for a time range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from legato.dashboards.model import Chart
from legato.store.ports.governance import TENANT
from legato.store.ports.tenants import MAIN


@dataclass(frozen=True)
class DashboardRecord:
    """A stored dashboard: its YAML as written and its title (for lists)."""

    id: str
    title: str
    source: str
    created: datetime
    updated: datetime
    tenant: str = TENANT


@dataclass(frozen=True)
class ChartWindow:
    """What one chart is asked for: the time range (data sources with dates), the namespaces the reader may see
    (None: all), a page of the rows and the tenant whose data it reads (a chart never reads another's)."""

    start: datetime
    end: datetime
    namespaces: Sequence[str] | None = None
    limit: int = 1000
    offset: int = 0
    tenant: str = MAIN


class ChartQueryError(ValueError):
    """The database refused a chart's query for what the chart asks (a regular expression its dialect does not
    know...); the message says what."""


@dataclass(frozen=True)
class ChartRows:
    """A page of a chart's rows, each keyed by the chart's column names, and how many rows there are in all."""

    rows: list[dict[str, Any]]
    total: int


class DashboardStore(Protocol):
    def save_dashboard(self, record: DashboardRecord) -> DashboardRecord:
        """Create or replace a dashboard (a replaced one keeps its creation date); the stored record."""
        ...

    def get_dashboard(self, dashboard_id: str, tenant: str = TENANT) -> DashboardRecord | None: ...

    def list_dashboards(self, tenant: str = TENANT) -> list[DashboardRecord]:
        """Every dashboard of `tenant`, by title then id."""
        ...

    def delete_dashboard(self, dashboard_id: str, tenant: str = TENANT) -> bool:
        """Delete a dashboard; True when it existed."""
        ...

    def replace_dashboards(self, saves: Sequence[DashboardRecord], deletions: Sequence[str],
                           tenant: str = TENANT) -> None:
        """Save the dashboards of `saves` (records of `tenant`) and delete the ids of `deletions`, in one
        transaction (a deploy's `_global/dashboards/`)."""
        ...

    def chart_rows(self, chart: Chart, window: ChartWindow, *, use_rollup: bool = True) -> ChartRows:
        """Run one data chart (checked by legato.dashboards.parse) as one SQL query: its rows for `window`;
        ChartQueryError when the database refuses a value of the chart. Charts of executions the daily roll-up
        can answer read it (`use_rollup=False`: raw rows only, the same result)."""
        ...

    def fold_execution_days(self, limit: int = 5000) -> int:
        """Fold up to `limit` of the oldest changes of executions into their daily roll-up, in one short
        transaction; how many (call until fewer than `limit`). Charts are exact whether or not this ran."""
        ...
