"""On PostgreSQL the queues are claimed by index scans under FOR UPDATE SKIP LOCKED, never by reading the
table: the real store calls run with auto_explain reporting each statement's plan to the session, over tables
where the rows to skip (claimed jobs, timers not due) outnumber the wanted ones a thousand to one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from legato.store import open_store
from legato.store.sql import SqlStore

BUSY = 20_000


@pytest.fixture
def explained(pg_url: str) -> Iterator[tuple[SqlStore, list[str]]]:
    """A store whose every connection reports its plans (auto_explain at NOTICE level) into the list."""
    plans: list[str] = []

    def explain(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute("LOAD 'auto_explain'")
            cur.execute("SET auto_explain.log_min_duration = 0")
            cur.execute("SET auto_explain.log_level = notice")
            cur.execute("SET auto_explain.log_nested_statements = on")
        dbapi_conn.commit()
        dbapi_conn.add_notice_handler(lambda diag: plans.append(diag.message_primary or ""))

    event.listen(Engine, "connect", explain)
    store = open_store(pg_url)
    try:
        yield store, plans
    finally:
        event.remove(Engine, "connect", explain)
        store.close()


def _plan_of(plans: list[str], statement: str) -> str:
    found = [p for p in plans if statement in p]
    assert found, f"no plan reported for {statement!r} among {len(plans)} plans"
    return found[-1]


def _fill(store: SqlStore) -> None:
    with store.database.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO jobs (execution_id, task_run_id, attempt, worker_id, lease_expires_at, cancel_requested, created)"
            " SELECT 'x' || g, 'busy' || g, 1, 'worker-b', now() + interval '1 hour', false, now()"
            f" FROM generate_series(1, {BUSY}) g"))
        conn.execute(text(
            "INSERT INTO jobs (execution_id, task_run_id, attempt, cancel_requested, created)"
            " SELECT 'x' || g, 'free' || g, 1, false, now() FROM generate_series(1, 20) g"))
        conn.execute(text(
            "INSERT INTO timers (execution_id, task_run_id, at, timer, key)"
            " SELECT 'x' || g, 't' || g, now() + interval '1 day', 'retry', 'later' || g"
            f" FROM generate_series(1, {BUSY}) g"))
        conn.execute(text(
            "INSERT INTO timers (execution_id, task_run_id, at, timer, key)"
            " SELECT 'x' || g, 't' || g, now() - interval '1 second', 'retry', 'due' || g FROM generate_series(1, 5) g"))
    with store.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE jobs"))
        conn.execute(text("ANALYZE timers"))


def test_claims_read_their_index_not_the_table(explained: tuple[SqlStore, list[str]]) -> None:
    store, plans = explained
    _fill(store)
    now = datetime.now(UTC)

    claimed = store.claim_jobs("worker-a", [None], 10, timedelta(seconds=30), now)
    assert len(claimed) == 10
    claim = _plan_of(plans, "UPDATE jobs SET worker_id")
    assert "ix_jobs_claim" in claim and "Seq Scan on jobs" not in claim and "LockRows" in claim, claim

    assert store.expire_leases(now + timedelta(minutes=1), limit=50) == 10  # worker-a's leases, not worker-b's
    expire = _plan_of(plans, "DELETE FROM jobs")
    assert "ix_jobs_lease" in expire and "Seq Scan on jobs" not in expire, expire

    assert store.fire_due_timers(now, limit=50) == 5
    due = _plan_of(plans, "DELETE FROM timers")
    assert "ix_timers_at" in due and "Seq Scan on timers" not in due, due
