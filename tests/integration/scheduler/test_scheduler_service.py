"""The scheduler on SQLite with a simulated clock: missed schedules, lateness, conditions, concurrency,
stopAfter, trigger outputs and inputs, ScheduleOnDates."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.builders import log_flow

from legato.model.state import State
from legato.scheduler.service import Scheduler
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store.sql import SqlStore
from legato.telemetry import metrics

T0 = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # a Monday


def minute(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def flow(trigger: str, *, inputs: str = "", flow_id: str = "f") -> str:
    return log_flow(flow_id, "sched", before=f"{inputs}triggers:\n  - id: cron\n{trigger}")


def schedule(cron: str = "* * * * *", **props: str) -> str:
    extra = "".join(f"    {k}: {v}\n" for k, v in props.items())
    return f"    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"{cron}\"\n{extra}"


def dates(store: SqlStore) -> list[str]:
    return sorted(e.trigger["date"] for e in store.list_executions(namespace="sched", limit=10_000))  # type: ignore[index]


def iso(moment: datetime) -> str:
    return moment.isoformat()


@pytest.mark.parametrize(("policy", "catch_up"), [("ALL", 10), ("LAST", 1), ("NONE", 0)])
def test_scheduler_down_ten_minutes(sqlite_store: SqlStore, policy: str, catch_up: int) -> None:
    flow_service.deploy(sqlite_store, flow(schedule(recoverMissedSchedules=policy, allowConcurrent="true")), now=minute(-0.5), by=SYSTEM)
    scheduler = Scheduler(sqlite_store, grace=timedelta(seconds=30))
    assert scheduler.tick(minute(0)) == 1
    # down from 12:00:01 to 12:11:00: the dates 12:01 to 12:10 were missed, 12:11 is on time
    fired = scheduler.tick(minute(11))
    assert fired == catch_up + 1
    missed = [iso(minute(n)) for n in range(1, 11)]
    expected_catch_up = {"ALL": missed, "LAST": missed[-1:], "NONE": []}[policy]
    assert dates(sqlite_store) == [iso(minute(0)), *expected_catch_up, iso(minute(11))]
    assert scheduler.tick(minute(11.5)) == 0
    assert scheduler.tick(minute(12)) == 1


def test_a_fire_is_logged_with_the_execution_it_created(sqlite_store: SqlStore, caplog: pytest.LogCaptureFixture) -> None:
    flow_service.deploy(sqlite_store, flow(schedule()), now=minute(-0.5), by=SYSTEM)
    with caplog.at_level(logging.INFO, logger="legato.scheduler"):
        assert Scheduler(sqlite_store, grace=timedelta(seconds=30)).tick(minute(0)) == 1
    (execution,) = sqlite_store.list_executions(namespace="sched", limit=10)
    (record,) = [r for r in caplog.records if getattr(r, "action", None) == "trigger-fired"]
    assert record.execution_id == execution.id and record.task_run_id is None  # type: ignore[attr-defined]
    assert execution.id in record.getMessage()


def test_default_policy_recovers_all(sqlite_store: SqlStore) -> None:
    flow_service.deploy(sqlite_store, flow(schedule(allowConcurrent="true")), now=minute(-0.5), by=SYSTEM)
    scheduler = Scheduler(sqlite_store, grace=timedelta(seconds=30))
    scheduler.tick(minute(0))
    assert scheduler.tick(minute(5)) == 5


def test_late_maximum_delay_drops_old_dates(sqlite_store: SqlStore) -> None:
    flow_service.deploy(sqlite_store, flow(schedule(lateMaximumDelay="PT3M", allowConcurrent="true")), now=minute(-0.5), by=SYSTEM)
    scheduler = Scheduler(sqlite_store)
    scheduler.tick(minute(0))
    assert scheduler.tick(minute(10)) == 4  # 12:07 to 12:10 are at most 3 minutes late
    assert dates(sqlite_store)[1] == iso(minute(7))


def test_a_new_trigger_starts_from_its_deployment(sqlite_store: SqlStore) -> None:
    flow_service.deploy(sqlite_store, flow(schedule("*/5 * * * *", allowConcurrent="true")), now=minute(3), by=SYSTEM)
    scheduler = Scheduler(sqlite_store)
    assert scheduler.tick(minute(4)) == 0
    state = sqlite_store.get_trigger_state("sched", "f", "cron")
    assert state is not None and state.next_date == minute(5) and state.last_date is None
    assert scheduler.tick(minute(5)) == 1


def test_trigger_outputs_inputs_and_labels(sqlite_store: SqlStore) -> None:
    inputs = "inputs:\n  - id: when\n    type: STRING\n"
    trigger = schedule("0 * * * *", timezone="Europe/Paris", inputs="{when: \"{{ trigger.date }}\"}",
                       labels="{team: data}")
    flow_service.deploy(sqlite_store, flow(trigger, inputs=inputs), now=minute(-1), by=SYSTEM)
    Scheduler(sqlite_store).tick(minute(0))
    [execution] = sqlite_store.list_executions(namespace="sched")
    assert execution.trigger == {"date": "2025-06-02T14:00:00+02:00", "next": "2025-06-02T15:00:00+02:00",
                                 "previous": "2025-06-02T13:00:00+02:00"}
    assert execution.inputs == {"when": "2025-06-02T14:00:00+02:00"}
    assert ("team", "data") in {(lb.key, lb.value) for lb in execution.labels}


def test_one_running_execution_per_trigger_by_default(sqlite_store: SqlStore) -> None:
    flow_service.deploy(sqlite_store, flow(schedule(recoverMissedSchedules="NONE")), now=minute(-0.5), by=SYSTEM)
    scheduler = Scheduler(sqlite_store, grace=timedelta(seconds=30))
    assert scheduler.tick(minute(0)) == 1
    assert scheduler.tick(minute(1)) == 0  # the first execution has not ended
    assert scheduler.tick(minute(2)) == 0
    sqlite_store.unlock_trigger("sched", "f", "cron", minute(2))
    assert scheduler.tick(minute(2)) == 1  # unlocked: the on-time date fires, the missed one does not (NONE)
    assert dates(sqlite_store) == [iso(minute(0)), iso(minute(2))]


def test_conditions_and_when_gate_fires(sqlite_store: SqlStore) -> None:
    weekend = "[{type: io.kestra.plugin.core.condition.Weekend}]"
    flow_service.deploy(sqlite_store, flow(schedule("0 12 * * *", conditions=weekend, allowConcurrent="true"), flow_id="weekend"),
           now=minute(-1), by=SYSTEM)
    monday = "[{type: io.kestra.plugin.core.condition.DayWeek, dayOfWeek: MONDAY}]"
    flow_service.deploy(sqlite_store, flow(schedule("0 12 * * *", conditions=monday, allowConcurrent="true"), flow_id="monday"),
           now=minute(-1), by=SYSTEM)
    flow_service.deploy(sqlite_store, flow(schedule("0 12 * * *", when="\"{{ trigger.date | date('d') == '2' }}\"",
                                       allowConcurrent="true"), flow_id="second"), now=minute(-1), by=SYSTEM)
    holiday = "[{type: io.kestra.plugin.core.condition.Not, conditions: [{type: io.kestra.plugin.core.condition.PublicHoliday, country: FR}]}]"
    flow_service.deploy(sqlite_store, flow(schedule("0 12 * * *", conditions=holiday, allowConcurrent="true"), flow_id="workday"),
           now=minute(-1), by=SYSTEM)
    scheduler = Scheduler(sqlite_store)
    for day in range(8):  # Monday 2 June to Monday 9 June (Whit Monday, a public holiday in France)
        scheduler.tick(T0 + timedelta(days=day))
    fired = {}
    for execution in sqlite_store.list_executions(namespace="sched", limit=100):
        fired.setdefault(execution.flow_id, []).append(execution.trigger["date"][:10])  # type: ignore[index]
    assert sorted(fired["weekend"]) == ["2025-06-07", "2025-06-08"]
    assert sorted(fired["monday"]) == ["2025-06-02", "2025-06-09"]
    assert fired["second"] == ["2025-06-02"]
    assert sorted(fired["workday"]) == [f"2025-06-0{d}" for d in range(2, 9)]


def test_disabled_triggers_and_flows_do_not_fire(sqlite_store: SqlStore) -> None:
    flow_service.deploy(sqlite_store, flow(schedule(allowConcurrent="true")), now=minute(-0.5), by=SYSTEM)
    flow_service.deploy(sqlite_store, flow(schedule(disabled="true"), flow_id="off"), now=minute(-0.5), by=SYSTEM)
    sqlite_store.set_trigger_disabled("sched", "f", "cron", True, minute(-0.5))
    assert Scheduler(sqlite_store).tick(minute(0)) == 0


def test_stop_after_disables_the_trigger(sqlite_store: SqlStore) -> None:
    flow_service.deploy(sqlite_store, flow(schedule(stopAfter="[FAILED]", allowConcurrent="true")), now=minute(-0.5), by=SYSTEM)
    scheduler = Scheduler(sqlite_store)
    assert scheduler.tick(minute(0)) == 1

    def fail(tx, stored):  # type: ignore[no-untyped-def]  # what the executor does when it fails
        tx.write(tx.view().execution.with_state(State.FAILED, minute(0.5)).model_copy(update={"ended": minute(0.5)}), [], {})

    assert sqlite_store.process_next_event(fail)
    assert scheduler.tick(minute(1)) == 0
    assert sqlite_store.get_trigger_state("sched", "f", "cron").disabled  # type: ignore[union-attr]


def test_schedule_on_dates(sqlite_store: SqlStore) -> None:
    trigger = ("    type: io.kestra.plugin.core.trigger.ScheduleOnDates\n    timezone: Europe/Paris\n"
               "    dates: ['2025-06-02T14:05:00', '2025-06-02T12:10:00Z', '2025-06-03T00:00:00+02:00']\n")
    flow_service.deploy(sqlite_store, flow(trigger), now=minute(-1), by=SYSTEM)
    scheduler = Scheduler(sqlite_store)
    assert scheduler.tick(minute(4)) == 0
    assert scheduler.tick(minute(5)) == 1
    assert scheduler.tick(minute(10)) == 0  # the execution of 12:05 still runs
    assert dates(sqlite_store) == ["2025-06-02T14:05:00+02:00"]


def test_a_trigger_that_fails_to_evaluate_shows_its_error_and_with_fail_on_trigger_error_fails_an_execution(
        sqlite_store: SqlStore) -> None:
    broken = "\"{{ trigger.nothing > 1 }}\""  # strict undefined: the condition cannot be evaluated
    flow_service.deploy(sqlite_store, flow(schedule(when=broken, allowConcurrent="true")), now=minute(-0.5), by=SYSTEM)
    flow_service.deploy(sqlite_store, flow(schedule(when=broken, allowConcurrent="true", failOnTriggerError="true"), flow_id="loud"),
           now=minute(-0.5), by=SYSTEM)
    schedulers = [Scheduler(sqlite_store), Scheduler(sqlite_store)]
    for tick in range(3):
        for scheduler in schedulers:  # two schedulers: each failed date still makes one execution
            scheduler.tick(minute(tick))
    quiet, loud = (sqlite_store.get_trigger_state("sched", f, "cron") for f in ("f", "loud"))
    assert quiet is not None and loud is not None
    for state in (quiet, loud):
        assert state.error is not None and state.error.startswith(f"date {iso(minute(2))}: ") and "nothing" in state.error
        assert state.error_date == minute(2)
    assert sqlite_store.list_executions(namespace="sched", flow_id="f") == []
    failed = sqlite_store.list_executions(namespace="sched", flow_id="loud")
    assert sorted(e.trigger["date"] for e in failed) == [iso(minute(n)) for n in range(3)]  # type: ignore[index]
    assert quiet.next_date == minute(3)  # the failed dates are behind it either way

    # fixed: the next fire clears the error
    flow_service.deploy(sqlite_store, flow(schedule(allowConcurrent="true")), now=minute(3.5), by=SYSTEM)
    schedulers[0].tick(minute(4))
    fixed = sqlite_store.list_executions(namespace="sched", flow_id="f")
    assert sorted(e.trigger["date"] for e in fixed) == [iso(minute(3)), iso(minute(4))]  # type: ignore[index]
    assert sqlite_store.get_trigger_state("sched", "f", "cron").error is None  # type: ignore[union-attr]


def test_the_lag_of_a_late_fire_and_the_fire_outcomes_are_metrics(sqlite_store: SqlStore) -> None:
    def scraped() -> dict[tuple[str, str], float]:
        families = text_string_to_metric_families(metrics.exposition().decode())
        return {(s.name, s.labels.get("outcome", "")): s.value for f in families for s in f.samples
                if s.name.startswith("legato_scheduler")}

    flow_service.deploy(sqlite_store, flow(schedule()), now=minute(-0.5), by=SYSTEM)
    scheduler = Scheduler(sqlite_store, grace=timedelta(seconds=30))
    before = scraped().get(("legato_scheduler_fires_total", "fired"), 0.0)
    assert scheduler.tick(minute(0) + timedelta(seconds=7)) == 1  # the 12:00 date, evaluated 7 s late
    after = scraped()
    assert after[("legato_scheduler_lag_seconds", "")] == 7.0
    assert after[("legato_scheduler_fires_total", "fired")] == before + 1
