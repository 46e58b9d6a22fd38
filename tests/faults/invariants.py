"""The invariants every fault test ends with, checked on the store's own tables:

- every execution is terminal;
- no task run is active inside a finished execution, and no job is held on an expired lease;
- at most one successful attempt per task run (a killed attempt's late result was not accepted too);
- no queue rows (jobs, events, timers) left for finished executions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select

from legato.clock import utcnow
from legato.model import state as st
from legato.model.state import State
from legato.store.schema import events, jobs, timers
from legato.store.sql import SqlStore

SUCCESSES = frozenset({State.SUCCESS, State.WARNING})


def violations(store: SqlStore, execution_ids: Iterable[str], *, lease_slack: timedelta = timedelta(seconds=1)) -> list[str]:
    """Every broken invariant over these executions, as readable lines (empty: all hold)."""
    found: list[str] = []
    finished: list[str] = []
    for execution_id in execution_ids:
        execution = store.get_execution(execution_id)
        if execution is None:
            found.append(f"{execution_id}: execution missing")
            continue
        if execution.state not in st.TERMINAL:
            found.append(f"{execution_id}: not terminal ({execution.state.value})")
            continue
        finished.append(execution_id)
        for run in store.task_runs(execution_id):
            if run.state not in st.TERMINAL:
                found.append(f"{execution_id}/{run.task_id}: {run.state.value} in a finished execution")
            successes = [a for a in run.attempts if a.state in SUCCESSES]
            if len(successes) > 1:
                found.append(f"{execution_id}/{run.task_id}: {len(successes)} successful attempts")
    found += _queue_leftovers(store, finished)
    found += _expired_leases(store, lease_slack)
    return found


def _queue_leftovers(store: SqlStore, finished: list[str]) -> list[str]:
    out = []
    with store.database.engine.connect() as conn:
        for table in (jobs, events, timers):
            for chunk in _chunks(finished, 500):
                rows = conn.execute(select(table.c.execution_id).where(table.c.execution_id.in_(chunk))).all()
                out += [f"{r.execution_id}: {table.name} row left for a finished execution" for r in rows]
    return out


def _expired_leases(store: SqlStore, slack: timedelta) -> list[str]:
    with store.database.engine.connect() as conn:
        rows = conn.execute(select(jobs.c.execution_id, jobs.c.task_run_id, jobs.c.lease_expires_at)
                            .where(jobs.c.lease_expires_at < utcnow() - slack)).all()
    return [f"{r.execution_id}/{r.task_run_id}: held on a lease that expired at {r.lease_expires_at}" for r in rows]


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def assert_invariants(store: SqlStore, execution_ids: Iterable[str]) -> None:
    """Fail with every broken invariant listed."""
    broken = violations(store, list(execution_ids))
    assert not broken, "invariants broken:\n" + "\n".join(broken[:50])
