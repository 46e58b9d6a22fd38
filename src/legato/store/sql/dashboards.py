"""The dashboards aggregate over SQL: dashboard sources, and the rows of their charts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import DataError

from legato.dashboards.model import Chart
from legato.store import rollup
from legato.store.database import Database
from legato.store.ports.dashboards import ChartQueryError, ChartRows, ChartWindow, DashboardRecord
from legato.store.ports.governance import TENANT
from legato.store.queries import Queries


class SqlDashboards:
    """ports.DashboardStore over SQL."""

    def __init__(self, db: Database, q: Queries):
        self._db = db
        self._q = q

    def save_dashboard(self, record: DashboardRecord) -> DashboardRecord:
        with self._db.write() as tx:
            return self._q.dashboards.save(tx.conn, record)

    def get_dashboard(self, dashboard_id: str, tenant: str = TENANT) -> DashboardRecord | None:
        with self._db.read() as conn:
            return self._q.dashboards.get(conn, tenant, dashboard_id)

    def list_dashboards(self, tenant: str = TENANT) -> list[DashboardRecord]:
        with self._db.read() as conn:
            return self._q.dashboards.find(conn, tenant)

    def delete_dashboard(self, dashboard_id: str, tenant: str = TENANT) -> bool:
        with self._db.write() as tx:
            return self._q.dashboards.delete(tx.conn, tenant, dashboard_id)

    def replace_dashboards(self, saves: Sequence[DashboardRecord], deletions: Sequence[str],
                           tenant: str = TENANT) -> None:
        with self._db.write() as tx:
            for dashboard_id in deletions:
                self._q.dashboards.delete(tx.conn, tenant, dashboard_id)
            for record in saves:
                self._q.dashboards.save(tx.conn, record)

    def chart_rows(self, chart: Chart, window: ChartWindow, *, use_rollup: bool = True) -> ChartRows:
        try:
            with self._db.read() as conn:
                return self._q.charts.rows(conn, chart, window, use_rollup=use_rollup)
        except DataError as exc:  # e.g. a regular expression PostgreSQL does not accept
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ChartQueryError(f"chart '{chart.id}': the database refused a value: {first}") from None

    def fold_execution_days(self, limit: int = 5000) -> int:
        with self._db.write() as tx:
            return rollup.fold(self._db.dialect, tx.conn, limit)
