"""The executor's roll-up loop: folds every delta the triggers appended, batch by batch, and stops when told."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from legato.executor.rollup import DayRollup
from legato.model.execution import Execution
from legato.store import open_store
from legato.store.schema import execution_day_deltas, execution_days, executions
from legato.store.sql import SqlStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    s = open_store(f"sqlite:///{tmp_path / 'rollup.db'}")
    s.migrate()
    yield s
    s.close()


def _add(store: SqlStore, n: int, first: int = 0) -> None:
    rows = []
    for i in range(first, first + n):
        created = NOW - timedelta(days=i % 9)
        e = Execution(id=f"d{i:05d}", namespace="ns", flow_id=f"f{i % 5}", flow_revision=1, state="SUCCESS",
                      created=created)
        rows.append({"id": e.id, "namespace": "ns", "flow_id": e.flow_id, "flow_revision": 1, "state": "SUCCESS",
                     "parent_id": None, "created": created, "ended": created + timedelta(seconds=1), "data": e,
                     "transient": False})
    with store.database.engine.begin() as conn:
        for row in rows:  # one statement each, as the executor writes: one delta each
            conn.execute(insert(executions), row)


def _count(store: SqlStore, what: object) -> int:
    with store.database.engine.connect() as conn:
        return int(conn.execute(select(what)).scalar_one())  # type: ignore[call-overload]


def test_fold_moves_every_delta_in_batches(store: SqlStore) -> None:
    _add(store, 23)
    assert _count(store, func.count(execution_day_deltas.c.id)) == 23
    assert DayRollup(store, batch=5).fold() == 23
    assert _count(store, func.count(execution_day_deltas.c.id)) == 0
    assert _count(store, func.sum(execution_days.c.n)) == 23
    assert _count(store, func.count(execution_days.c.day)) == 23  # (i % 9 days, i % 5 flows): 23 keys


def test_the_loop_folds_until_stopped(store: SqlStore) -> None:
    async def main() -> int:
        stopping = asyncio.Event()
        task = asyncio.create_task(DayRollup(store, batch=4, interval=timedelta(milliseconds=20)).run(stopping))
        _add(store, 10)
        for _ in range(200):
            await asyncio.sleep(0.02)
            if _count(store, func.count(execution_day_deltas.c.id)) == 0:
                break
        stopping.set()
        await task
        return _count(store, func.sum(execution_days.c.n))

    assert asyncio.run(main()) == 10
