"""Exactly-once cron fires: two scheduler instances, each with its own store (connection pool) on one
PostgreSQL database, driven by a simulated clock through one day across the autumn daylight-saving change
in Europe/Paris; one of them is stopped half-way."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from legato.runtime.actions import deploy
from legato.scheduler.service import Scheduler
from legato.store import open_store
from legato.store.schema import executions, trigger_fires

# 00:00 local on Sunday 26 October 2025 (CEST, UTC+2); at 03:00 CEST the clocks go back to 02:00 CET.
START = datetime(2025, 10, 25, 22, 0, tzinfo=UTC)
MINUTES = 24 * 60  # one day of real time: 00:00 CEST to 23:00 CET
CRONS = {"every_minute": "* * * * *", "every_5": "*/5 * * * *", "hourly": "0 * * * *"}
# Each local time fires once, at its first occurrence: the repeated hour (02:00-02:59 CET) fires nothing.
EXPECTED = {"every_minute": MINUTES - 60, "every_5": MINUTES // 5 - 12, "hourly": 24 - 1}
FLOWS = 50
PARIS = ZoneInfo("Europe/Paris")


def _flow(i: int) -> str:
    triggers = "".join(
        f"  - id: {name}\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"{cron}\"\n"
        f"    timezone: Europe/Paris\n    allowConcurrent: true\n"
        for name, cron in CRONS.items()
    )
    return (f"id: flow{i}\nnamespace: sched.dst\ntriggers:\n{triggers}"
            "tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ trigger.date }}\"\n")


@pytest.mark.parametrize("flows", [
    pytest.param(1, id="1-flow"),
    pytest.param(FLOWS, id="50-flows", marks=[pytest.mark.soak, pytest.mark.timeout(3600)]),
])
def test_two_schedulers_fire_each_date_exactly_once_across_the_dst_change(pg_url: str, flows: int) -> None:
    stores = [open_store(pg_url), open_store(pg_url)]
    try:
        for i in range(flows):
            deploy(stores[0], _flow(i), now=START - timedelta(seconds=1))
        schedulers = [Scheduler(s, grace=timedelta(minutes=5)) for s in stores]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(index: int, minutes: int) -> None:
            try:
                for minute in range(minutes):
                    if minute < MINUTES // 2:
                        barrier.wait(timeout=60)  # both tick the same simulated minute: they race for every fire
                    schedulers[index].tick(START + timedelta(minutes=minute, seconds=index))
            except BaseException as exc:  # reported by the test thread
                errors.append(exc)
                barrier.abort()

        threads = [threading.Thread(target=run, args=(0, MINUTES)), threading.Thread(target=run, args=(1, MINUTES // 2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []

        with stores[0].database.engine.connect() as conn:
            created = dict(conn.execute(select(executions.c.id, executions.c.data)).all())
            fires = conn.execute(select(trigger_fires.c.flow_id, trigger_fires.c.trigger_id, trigger_fires.c.fire_key,
                                        trigger_fires.c.execution_id)).all()
        # one execution per fire, and no execution without its fire: none twice
        assert sorted(f.execution_id for f in fires) == sorted(created)
        assert len(created) == flows * sum(EXPECTED.values())
        # none missing: every flow's every trigger fired at exactly the expected dates
        fired: dict[tuple[str, str], set[str]] = {}
        for f in fires:
            fired.setdefault((f.flow_id, f.trigger_id), set()).add(f.fire_key)
            assert created[f.execution_id].trigger["date"] == _local(f.fire_key)
        for name, cron in CRONS.items():
            expected = _expected_dates(cron)
            assert len(expected) == EXPECTED[name]
            for i in range(flows):
                assert fired[(f"flow{i}", name)] == expected, (i, name)
    finally:
        for s in stores:
            s.close()


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
