"""Backfills in the scheduler on SQLite with a simulated clock: allowConcurrent batches, conditions, a flow
removed under a backfill, dates already fired by the schedule, and the scheduler waking for second-cron dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.builders import log_flow

from legato.flows import Flows
from legato.scheduler.service import Scheduler
from legato.services import backfills
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store.sql import SqlStore

T0 = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # a Monday


def _flow(trigger_props: str = "", *, flow_id: str = "f") -> str:
    return log_flow(flow_id, "sched", before="triggers:\n  - id: cron\n    type: io.kestra.plugin.core.trigger.Schedule\n"
                    f"    cron: \"0 * * * *\"\n{trigger_props}")


def _dates(store: SqlStore) -> list[str]:
    return sorted(e.trigger["date"] for e in store.list_executions(namespace="sched", limit=10_000))  # type: ignore[index]


def test_allow_concurrent_fires_a_batch_per_tick(sqlite_store: SqlStore) -> None:
    flow_service.deploy(sqlite_store, _flow("    allowConcurrent: true\n"), now=T0, by=SYSTEM)
    backfills.create(sqlite_store, Flows(), "sched", "f", "cron", by=SYSTEM, start=T0 - timedelta(hours=30), end=T0 - timedelta(hours=1),
                     inputs=None, labels={"why": "test"}, now=T0)
    scheduler = Scheduler(sqlite_store)
    scheduler.backfills.batch = 10
    assert scheduler.tick(T0) == 10
    assert scheduler.tick(T0) == 10
    assert scheduler.tick(T0) == 10
    assert sqlite_store.get_backfill("sched", "f", "cron") is None  # 30 dates: done, and forgotten
    assert scheduler.tick(T0) == 0
    expected = [(T0 - timedelta(hours=h)).isoformat() for h in range(30, 0, -1)]
    assert _dates(sqlite_store) == expected
    labels = {lb.key: lb.value for lb in sqlite_store.list_executions(namespace="sched", limit=1)[0].labels}
    assert labels["backfill"] == "true" and labels["why"] == "test"


def test_conditions_apply_to_backfilled_dates(sqlite_store: SqlStore) -> None:
    props = ("    allowConcurrent: true\n    conditions:\n      - type: io.kestra.plugin.core.condition.Expression\n"
             "        expression: \"{{ trigger.date | date('H') | number % 2 == 0 }}\"\n")
    flow_service.deploy(sqlite_store, _flow(props), now=T0, by=SYSTEM)
    backfills.create(sqlite_store, Flows(), "sched", "f", "cron", by=SYSTEM, start=T0 - timedelta(hours=6), end=T0 - timedelta(hours=1),
                     inputs=None, labels=None, now=T0)
    Scheduler(sqlite_store).tick(T0)
    assert _dates(sqlite_store) == [(T0 - timedelta(hours=h)).isoformat() for h in (6, 4, 2)]


def test_dates_the_schedule_fired_are_not_fired_again(sqlite_store: SqlStore) -> None:
    flow_service.deploy(sqlite_store, _flow("    allowConcurrent: true\n"), now=T0 - timedelta(hours=3, minutes=30), by=SYSTEM)
    scheduler = Scheduler(sqlite_store)
    for hour in (3, 2, 1):
        scheduler.tick(T0 - timedelta(hours=hour))
    assert len(_dates(sqlite_store)) == 3
    backfills.create(sqlite_store, Flows(), "sched", "f", "cron", by=SYSTEM, start=T0 - timedelta(hours=5), end=T0 - timedelta(hours=1),
                     inputs=None, labels=None, now=T0)
    scheduler.tick(T0 - timedelta(minutes=30))
    assert _dates(sqlite_store) == [(T0 - timedelta(hours=h)).isoformat() for h in (5, 4, 3, 2, 1)]


def test_a_backfill_of_a_removed_flow_is_dropped(sqlite_store: SqlStore) -> None:
    flow_service.deploy(sqlite_store, _flow(), now=T0, by=SYSTEM)
    backfills.create(sqlite_store, Flows(), "sched", "f", "cron", by=SYSTEM, start=T0 - timedelta(hours=3), end=T0, inputs=None,
                     labels=None, now=T0)
    sqlite_store.delete_flow("sched", "f", now=T0)
    Scheduler(sqlite_store).tick(T0)
    assert sqlite_store.get_backfill("sched", "f", "cron") is None
    assert _dates(sqlite_store) == []


def test_the_scheduler_wakes_for_the_next_second(sqlite_store: SqlStore) -> None:
    clock = [T0]
    source = _flow().replace('cron: "0 * * * *"', 'cron: "* * * * * *"\n    withSeconds: true')
    flow_service.deploy(sqlite_store, source, now=T0 - timedelta(seconds=5), by=SYSTEM)
    scheduler = Scheduler(sqlite_store, clock=lambda: clock[0], poll_seconds=1.0)
    scheduler.tick(T0 + timedelta(milliseconds=300))
    clock[0] = T0 + timedelta(milliseconds=400)
    assert 0.5 < scheduler._pause() < 0.65  # the date 12:00:01 is 0.6 s away, not a full poll interval
