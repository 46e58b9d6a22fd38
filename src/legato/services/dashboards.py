"""Custom dashboards, for the API, the CLI and deploy: create, replace, read, list and delete their YAML, run one
chart for a time range (only over the namespaces the reader may see) and export its rows as CSV. Writes are
audited; every function checks the acting principal's DASHBOARD permission."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol

from legato.dashboards import Chart, Dashboard, fields, parse_dashboard
from legato.dashboards.defaults import DEFAULT_ID, DEFAULT_SOURCE
from legato.dashboards.model import TimeWindow
from legato.dashboards.parse import parse_chart
from legato.identity.permissions import Action, Resource
from legato.services import audit
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal, require, require_instance
from legato.store.ports import (
    AuditLog,
    ChartQueryError,
    ChartRows,
    ChartWindow,
    DashboardRecord,
    DashboardStore,
)

# whose permission a data source's rows need (a reader bound on some namespaces sees only their rows)
_READS = {"Executions": Resource.EXECUTION, "Logs": Resource.EXECUTION, "Metrics": Resource.EXECUTION,
          "Flows": Resource.FLOW, "Triggers": Resource.TRIGGER}
MAX_PAGE = 10_000
BUILT_IN = datetime(2026, 1, 1, tzinfo=UTC)  # the dates shown for the built-in default dashboard


class DashboardPorts(DashboardStore, AuditLog, Protocol):
    """What the dashboard services use: the dashboards and their charts' data, and the audit log."""


class ChartRequestError(ValueError):
    """A chart was asked for in a way that cannot be answered (a time range too wide, a Markdown chart...)."""


@dataclass(frozen=True)
class Saved:
    record: DashboardRecord
    dashboard: Dashboard
    created: bool


def dashboard_id(dashboard: Dashboard) -> str:
    """The dashboard's `id`, or one made from its title ('Ops overview' -> 'ops-overview')."""
    if dashboard.id:
        return dashboard.id
    slug = re.sub(r"[^a-z0-9]+", "-", dashboard.title.lower()).strip("-")[:100]
    return slug or "dashboard"


def validate(source: str) -> Dashboard:
    """The dashboard of `source` (FlowValidationError with the line and path of each problem)."""
    return parse_dashboard(source)


def create(store: DashboardPorts, source: str, *, by: Principal, now: datetime) -> Saved:
    """Store a new dashboard; ConflictError when its id is taken."""
    require_instance(by, Resource.DASHBOARD, Action.CREATE)
    dashboard = parse_dashboard(source)
    key = dashboard_id(dashboard)
    if store.get_dashboard(key, tenant=by.tenant) is not None:
        raise ConflictError(f"dashboard '{key}' already exists; update it with PUT /dashboards/{key}")
    return _save(store, key, dashboard, source, by=by, now=now, before=None)


def update(store: DashboardPorts, key: str, source: str, *, by: Principal, now: datetime) -> Saved:
    """Replace the source of dashboard `key` (NotFoundError when there is none)."""
    require_instance(by, Resource.DASHBOARD, Action.UPDATE)
    before = store.get_dashboard(key, tenant=by.tenant)
    if before is None and key != DEFAULT_ID:  # the built-in default is replaced by saving one of its id
        raise NotFoundError(f"dashboard '{key}' not found")
    dashboard = parse_dashboard(source)
    if dashboard.id is not None and dashboard.id != key:
        raise ConflictError(f"the YAML's id '{dashboard.id}' is not the dashboard's id '{key}'")
    return _save(store, key, dashboard, source, by=by, now=now, before=before)


def apply(store: DashboardPorts, source: str, *, by: Principal, now: datetime) -> Saved:
    """Create the dashboard, or replace the one with its id (deploy, `legato dashboard apply`)."""
    dashboard = parse_dashboard(source)
    key = dashboard_id(dashboard)
    before = store.get_dashboard(key, tenant=by.tenant)
    require_instance(by, Resource.DASHBOARD, Action.CREATE if before is None else Action.UPDATE)
    return _save(store, key, dashboard, source, by=by, now=now, before=before)


def deploy(store: DashboardPorts, sources: Sequence[str], deletions: Sequence[str], *, by: Principal,
           now: datetime) -> None:
    """Create or replace the dashboards of `sources` and delete the ids of `deletions`, all in one transaction
    (a deploy's `_global/dashboards/`): every source is checked, and every permission, before anything is
    written (FlowValidationError, ForbiddenError)."""
    parsed_ = [(parse_dashboard(source), source) for source in sources]
    saves, entries = [], []
    for dashboard, source in parsed_:
        key = dashboard_id(dashboard)
        before = store.get_dashboard(key, tenant=by.tenant)
        require_instance(by, Resource.DASHBOARD, Action.CREATE if before is None else Action.UPDATE)
        saves.append(DashboardRecord(key, dashboard.title, source, before.created if before else now, now,
                                     tenant=by.tenant))
        entries.append(audit.entry(by, "CREATE" if before is None else "UPDATE", "DASHBOARD", key, now=now,
                                   details=audit.changed(before.source if before else None, source)))
    removed = [key for key in deletions if store.get_dashboard(key, tenant=by.tenant) is not None]
    if removed:
        require_instance(by, Resource.DASHBOARD, Action.DELETE)
    entries += [audit.entry(by, "DELETE", "DASHBOARD", key, now=now) for key in removed]
    with audit.recorded(store, entries):
        store.replace_dashboards(saves, removed, tenant=by.tenant)


def _save(store: DashboardPorts, key: str, dashboard: Dashboard, source: str, *, by: Principal, now: datetime,
          before: DashboardRecord | None) -> Saved:
    record = DashboardRecord(key, dashboard.title, source, before.created if before else now, now, tenant=by.tenant)
    details = audit.changed(before.source if before else None, source)
    with audit.action(store, by, "CREATE" if before is None else "UPDATE", "DASHBOARD", key, now=now,
                      details=details):
        saved = store.save_dashboard(record)
    return Saved(saved, dashboard, before is None)


def get(store: DashboardStore, key: str, *, by: Principal) -> tuple[DashboardRecord, Dashboard]:
    """One dashboard with its parsed YAML (NotFoundError when there is none)."""
    require(by, Resource.DASHBOARD, Action.VIEW)
    record = store.get_dashboard(key, tenant=by.tenant) or (built_in() if key == DEFAULT_ID else None)
    if record is None:
        raise NotFoundError(f"dashboard '{key}' not found")
    return record, _parsed(record.source, key)


@lru_cache(maxsize=128)
def _parsed(source: str, name: str) -> Dashboard:
    """A stored dashboard's parsed YAML (frozen): a page asks for each of its charts, so each would parse it again."""
    return parse_dashboard(source, name=name)


def built_in() -> DashboardRecord:
    """The home page's default dashboard, as shipped."""
    return DashboardRecord(DEFAULT_ID, _parsed(DEFAULT_SOURCE, DEFAULT_ID).title, DEFAULT_SOURCE, BUILT_IN, BUILT_IN)


def search(store: DashboardStore, query: str | None = None, *, by: Principal) -> list[DashboardRecord]:
    """The default dashboard first when it is the built-in, then the dashboards by title and id; those whose id or
    title contains `query` when given."""
    require(by, Resource.DASHBOARD, Action.LIST)
    found = store.list_dashboards(tenant=by.tenant)
    if not any(d.id == DEFAULT_ID for d in found):
        found = [built_in(), *found]
    if query:
        q = query.lower()
        found = [d for d in found if q in d.id.lower() or q in d.title.lower()]
    return found


def delete(store: DashboardPorts, key: str, *, by: Principal, now: datetime) -> None:
    """Delete a dashboard (NotFoundError when there is none; the built-in default cannot be, but a saved
    `default` can, and the built-in shows again)."""
    require_instance(by, Resource.DASHBOARD, Action.DELETE)
    if store.get_dashboard(key, tenant=by.tenant) is None:
        raise NotFoundError(f"dashboard '{key}' not found")
    with audit.action(store, by, "DELETE", "DASHBOARD", key, now=now):
        store.delete_dashboard(key, tenant=by.tenant)


def chart_rows(store: DashboardStore, key: str, chart_id: str, start: datetime, end: datetime, *, by: Principal,
               limit: int = 1000, offset: int = 0) -> tuple[Chart, ChartRows]:
    """The rows of chart `chart_id` of dashboard `key` for [start, end], limited to what `by` may see."""
    _, dashboard = get(store, key, by=by)
    chart = dashboard.chart(chart_id)
    if chart is None:
        raise NotFoundError(f"dashboard '{key}' has no chart '{chart_id}'")
    return chart, run_chart(store, dashboard, chart, start, end, by=by, limit=limit, offset=offset)


def run_chart(store: DashboardStore, dashboard: Dashboard, chart: Chart, start: datetime, end: datetime, *,
              by: Principal, limit: int = 1000, offset: int = 0) -> ChartRows:
    """The rows of one chart of `dashboard` (stored or not: a preview) for [start, end]."""
    require(by, Resource.DASHBOARD, Action.VIEW)
    if chart.data is None:
        raise ChartRequestError(f"chart '{chart.id}' is a Markdown chart: it has no rows")
    if end <= start:
        raise ChartRequestError("endDate must be after startDate")
    if end - start > dashboard.time_window.max_span:
        raise ChartRequestError(f"the time range is wider than the dashboard's timeWindow.max "
                                f"({dashboard.time_window.max})")
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ChartRequestError(f"a page holds 1 to {MAX_PAGE} rows")
    source = fields.source(chart.data.type)
    assert source is not None  # parse_dashboard checked it
    reads = _READS[source.base]
    if not by.grants.allows(reads, Action.VIEW):
        return ChartRows([], 0)
    scopes: Sequence[str] | None = by.grants.namespaces(reads, Action.VIEW)
    try:
        return store.chart_rows(chart, ChartWindow(start, end, scopes, limit, offset, tenant=by.tenant))
    except ChartQueryError as exc:
        raise ChartRequestError(str(exc)) from None


def preview(store: DashboardStore, chart_source: str, start: datetime, end: datetime, *, by: Principal,
            limit: int = 1000, offset: int = 0) -> tuple[Chart, ChartRows]:
    """The rows of a chart not saved yet (its YAML alone), for the editor; the widest range is 366 days."""
    chart = parse_chart(chart_source)
    unsaved = Dashboard(title="preview", time_window=TimeWindow(), charts=[chart])
    return chart, run_chart(store, unsaved, chart, start, end, by=by, limit=limit, offset=offset)


def export_csv(store: DashboardStore, key: str, chart_id: str, start: datetime, end: datetime, *,
               by: Principal) -> str:
    """A chart's rows as CSV text: a header of the column names (or their display names), then every row."""
    chart, page = chart_rows(store, key, chart_id, start, end, by=by, limit=MAX_PAGE)
    assert chart.data is not None
    columns = chart.data.columns
    if isinstance(columns, dict):
        keys = list(columns)
        names = [columns[k].display_name or k for k in keys]
    else:  # a KPI: value (with numerator and denominator for a ratio)
        keys = list(page.rows[0]) if page.rows else ["value"]
        names = keys
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    for row in page.rows:
        writer.writerow(["" if row.get(k) is None else row.get(k) for k in keys])
    return out.getvalue()
