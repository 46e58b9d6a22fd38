"""Exactly-once cron fires: two scheduler processes on one PostgreSQL database, driven by a simulated clock
through one day across the autumn daylight-saving change in Europe/Paris. For the first half of the day they
tick the same simulated minute in lockstep (racing for every fire); then they run freely and one of them is
killed with SIGKILL wherever it is (possibly inside a transaction)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.builders import log_flow

from legato.scheduler.service import Scheduler
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.schema import executions, trigger_fires

# 00:00 local on Sunday 26 October 2025 (CEST, UTC+2); at 03:00 CEST the clocks go back to 02:00 CET.
START = datetime(2025, 10, 25, 22, 0, tzinfo=UTC)
MINUTES = 24 * 60  # one day of real time: 00:00 CEST to 23:00 CET
CRONS = {"every_minute": "* * * * *", "every_5": "*/5 * * * *", "hourly": "0 * * * *"}
# Each local time fires once, at its first occurrence: the repeated hour (02:00-02:59 CET) fires nothing.
EXPECTED = {"every_minute": MINUTES - 60, "every_5": MINUTES // 5 - 12, "hourly": 24 - 1}
FLOWS = 4  # 4 flows x 3 triggers x a day of minutes: 6,716 fires raced by two schedulers
KILL_BY = MINUTES // 2 + 60
PARIS = ZoneInfo("Europe/Paris")


def _flow(i: int) -> str:
    triggers = "".join(
        f"  - id: {name}\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"{cron}\"\n"
        f"    timezone: Europe/Paris\n    allowConcurrent: true\n"
        for name, cron in CRONS.items()
    )
    return log_flow(f"flow{i}", "sched.dst", '"{{ trigger.date }}"', before=f"triggers:\n{triggers}")


@pytest.mark.timeout(1200)
def test_two_schedulers_fire_each_date_exactly_once_across_the_dst_change(pg_url: str) -> None:
    store = open_store(pg_url)
    try:
        for i in range(FLOWS):
            flow_service.deploy(store, _flow(i), now=START - timedelta(seconds=1), by=SYSTEM)
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(2)
        progress = [ctx.Value("i", 0), ctx.Value("i", 0)]
        procs = [ctx.Process(target=_scheduler, args=(pg_url, i, barrier, progress[i]), daemon=True) for i in (0, 1)]
        for p in procs:
            p.start()
        # the killed one: once the other has ticked a few minutes past half-way, wherever it is
        _wait_for(lambda: progress[0].value >= MINUTES // 2 + 3 or not procs[0].is_alive(), procs)
        os.kill(procs[1].pid, signal.SIGKILL)
        procs[1].join(10)
        killed_at = progress[1].value
        procs[0].join(1100)
        assert procs[0].exitcode == 0, f"the surviving scheduler exited {procs[0].exitcode}"
        assert procs[1].exitcode == -signal.SIGKILL and MINUTES // 2 <= killed_at <= KILL_BY, killed_at

        with store.database.engine.connect() as conn:
            created = dict(conn.execute(select(executions.c.id, executions.c.data)).all())
            fires = conn.execute(select(trigger_fires.c.flow_id, trigger_fires.c.trigger_id, trigger_fires.c.fire_key,
                                        trigger_fires.c.execution_id)).all()
        # one execution per fire, and no execution without its fire: none twice
        assert sorted(f.execution_id for f in fires) == sorted(created)
        assert len(created) == FLOWS * sum(EXPECTED.values())
        # none missing: every flow's every trigger fired at exactly the expected dates
        fired: dict[tuple[str, str], set[str]] = {}
        for f in fires:
            fired.setdefault((f.flow_id, f.trigger_id), set()).add(f.fire_key)
            assert created[f.execution_id].trigger["date"] == _local(f.fire_key)
        for name, cron in CRONS.items():
            expected = _expected_dates(cron)
            assert len(expected) == EXPECTED[name]
            for i in range(FLOWS):
                assert fired[(f"flow{i}", name)] == expected, (i, name)
    finally:
        store.close()


def _scheduler(url: str, index: int, barrier: Any, progress: Any) -> None:
    """One scheduler process: ticks every simulated minute of the day (the second one second later than the
    first), in lockstep with the other for the first half. The second stops an hour past half-way to wait for
    its SIGKILL, should it outrun the first that far."""
    store = open_store(url)
    scheduler = Scheduler(store, grace=timedelta(minutes=5))
    for minute in range(MINUTES if index == 0 else KILL_BY):
        if minute < MINUTES // 2:
            barrier.wait(timeout=120)
        scheduler.tick(START + timedelta(minutes=minute, seconds=index))
        progress.value = minute + 1
    if index == 1:
        time.sleep(3600)
    store.close()


def _wait_for(condition: Callable[[], bool], procs: list[Any]) -> None:
    deadline = time.monotonic() + 1100
    while not condition():
        assert all(p.is_alive() for p in procs), [p.exitcode for p in procs]
        assert time.monotonic() < deadline, "the schedulers did not reach half-way"
        time.sleep(0.01)


def _expected_dates(cron: str) -> set[str]:
    """Counted without the cron module: every real minute of the day whose local time matches and is not
    the second pass of the repeated hour."""
    step = {"* * * * *": 1, "*/5 * * * *": 5, "0 * * * *": 60}[cron]
    out = set()
    for minute in range(MINUTES):
        instant = START + timedelta(minutes=minute)
        local = instant.astimezone(PARIS)
        if local.minute % step == 0 and not local.fold:
            out.add(instant.isoformat())
    return out


def _local(key: str) -> str:
    return datetime.fromisoformat(key).astimezone(PARIS).isoformat()
