"""Migration 0016 rolls up the executions already there (SQLite and PostgreSQL): a chart reads the same rows from
the roll-up as from raw rows right after the upgrade, and later writes keep both equal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, insert, select, update
from tests.services import pg_database

from legato.dashboards import parse_dashboard
from legato.model.execution import Execution
from legato.store import migrate, open_store
from legato.store.ports import ChartWindow
from legato.store.schema import execution_days, executions
from legato.store.sql import SqlStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CHART = parse_dashboard("""
title: t
charts:
  - id: c
    type: io.kestra.plugin.core.dashboard.chart.Table
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns: {date: {field: START_DATE}, state: {field: STATE}, n: {agg: COUNT}, mean: {field: DURATION, agg: AVG}}
""").charts[0]
WINDOW = ChartWindow(start=NOW - timedelta(days=20, hours=3), end=NOW)


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """A store migrated up to 0015 (before the roll-up)."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'old.db'}"])
    else:
        urls = pg_database("legato_rollup", migrate=False)
    url = next(urls)
    store = open_store(url)
    with store.database.engine.connect() as conn:
        command.upgrade(migrate.alembic_config(conn), "0015")
        conn.commit()
    try:
        yield store
    finally:
        store.close()
        next(urls, None)  # drops the PostgreSQL database


def _insert(store: SqlStore, n: int) -> None:
    rows = []
    for i in range(n):
        created = NOW - timedelta(hours=7 * i, microseconds=i)
        state = ("SUCCESS", "FAILED", "RUNNING")[i % 3]
        e = Execution(id=f"m{i:05d}", namespace="company.team", flow_id=f"f{i % 4}", flow_revision=1,
                      state=state, created=created)
        rows.append({"id": e.id, "namespace": e.namespace, "flow_id": e.flow_id, "flow_revision": 1, "state": state,
                     "parent_id": None, "created": created,
                     "ended": None if state == "RUNNING" else created + timedelta(seconds=i, microseconds=3 * i),
                     "data": e, "transient": i % 10 == 9})
    with store.database.engine.begin() as conn:
        conn.execute(insert(executions), rows)


def test_existing_executions_are_rolled_up_by_the_migration(old_store: SqlStore) -> None:
    _insert(old_store, 120)
    old_store.migrate()
    with old_store.database.engine.connect() as conn:
        rolled = conn.execute(select(func.sum(execution_days.c.n))).scalar_one()
    assert rolled == 108  # every execution but the transient ones
    raw = old_store.chart_rows(CHART, WINDOW, use_rollup=False).rows
    assert len(raw) > 20
    _same(old_store.chart_rows(CHART, WINDOW).rows, raw)
    with old_store.database.engine.begin() as conn:  # the triggers run from now on
        conn.execute(update(executions).where(executions.c.state == "RUNNING").values(state="KILLED", ended=NOW))
    _same(old_store.chart_rows(CHART, WINDOW).rows, old_store.chart_rows(CHART, WINDOW, use_rollup=False).rows)


def _same(rolled: list[dict[str, object]], raw: list[dict[str, object]]) -> None:
    """Equal rows, averages of durations to float rounding (the roll-up sums exact microseconds, raw rows
    floating-point seconds)."""
    assert [{k: v for k, v in r.items() if k != "mean"} for r in rolled] == \
        [{k: v for k, v in r.items() if k != "mean"} for r in raw]
    for mine, theirs in zip(rolled, raw, strict=True):
        assert mine["mean"] == (None if theirs["mean"] is None else pytest.approx(theirs["mean"], rel=1e-9))
