"""Trigger and condition models: names and aliases, cron and time zone checks, nested conditions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from legato.model.conditions import ConditionField, DayWeek, ExecutionStatus, MultipleCondition, Not
from legato.model.durations import format_duration, parse_duration
from legato.model.errors import FlowValidationError
from legato.model.state import State
from legato.model.task import TRIGGERS
from legato.model.triggers import FlowTrigger, Schedule, ScheduleOnDates, Trigger, TriggerField, Webhook
from legato.model.triggers_cron import validate_cron

from .conftest import load

_TRIGGERS: TypeAdapter[list[Trigger]] = TypeAdapter(list[TriggerField])
_CONDITION: TypeAdapter[Any] = TypeAdapter(ConditionField)


def trigger(**spec: Any) -> Trigger:
    return _TRIGGERS.validate_python([{"id": "t", **spec}])[0]


@pytest.mark.parametrize("name", ["trigger.Schedule", "io.kestra.plugin.core.trigger.Schedule", "io.kestra.core.models.triggers.types.Schedule"])
def test_schedule_under_every_name(name: str) -> None:
    parsed = trigger(type=name, cron="*/15 9-17 * * MON-FRI", timezone="Europe/Paris", inputs={"a": 1},
                     labels={"src": "cron"}, recoverMissedSchedules="LAST", lateMaximumDelay="PT1H")
    assert isinstance(parsed, Schedule)
    assert parsed.timezone == "Europe/Paris" and parsed.lateMaximumDelay == timedelta(hours=1)
    assert parsed.labels[0].key == "src"


@pytest.mark.parametrize(
    "cron",
    ["* * * * *", "0 0 1 1 *", "@daily", "@HOURLY", "0 9 * * 1-5", "0 0 L * ?", "0 0 15W * *", "0 0 * * 5L", "0 0 * * MON#2",
     "5,10,15-20/2 * * JAN-MAR 7", "0 */5 * * *"],
)
def test_valid_crons(cron: str) -> None:
    validate_cron(cron)


def test_a_schedule_builds_the_cron_spec_the_scheduler_reads() -> None:
    parsed = trigger(type="trigger.Schedule", cron="*/15 9-17 1,L * MON-FRI,SUN#2")
    assert isinstance(parsed, Schedule)
    spec = parsed.cron_spec()
    assert (spec.seconds, spec.minutes, spec.hours) == ((0,), (0, 15, 30, 45), tuple(range(9, 18)))
    assert spec.months == frozenset(range(1, 13))
    assert spec.days.dom == {1} and spec.days.dom_last and not spec.days.dom_any
    assert spec.days.dow == {1, 2, 3, 4, 5} and spec.days.dow_nth == {(0, 2)}
    seconds = trigger(type="trigger.Schedule", cron="5/20 0 0 * * 7", withSeconds=True)
    assert isinstance(seconds, Schedule)
    assert seconds.cron_spec().seconds == (5, 25, 45) and seconds.cron_spec().days.dow == {0}


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("61 * * * *", "minute value 61 is out of range 0-59"),
        ("* 24 * * *", "hour value 24 is out of range 0-23"),
        ("* * 0 * *", "day-of-month value 0 is out of range 1-31"),
        ("* * * 13 *", "month value 13 is out of range 1-12"),
        ("* * * * 8", "day-of-week value 8 is out of range 0-7"),
        ("* * * *", "expected 5 fields"),
        ("0 0 * * * *", "for a seconds field set withSeconds: true"),
        ("*/0 * * * *", "step '0' must be a positive number"),
        ("10-5 * * * *", "range 10-5 goes backwards"),
        ("@reboot", "unknown macro"),
        ("x * * * *", "minute value 'x' is not a number"),
        ("* * * FOO *", "month value 'FOO' is not a number or a name"),
        ("* * * * MON#6", "occurrence #6 is out of range 1-5"),
    ],
)
def test_invalid_crons_say_why(cron: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        validate_cron(cron)
    assert str(info.value).startswith(f"invalid cron expression '{cron}'")
    assert message in str(info.value)


def test_with_seconds_takes_six_fields() -> None:
    assert isinstance(trigger(type="trigger.Schedule", cron="*/10 * * * * *", withSeconds=True), Schedule)
    with pytest.raises(ValidationError, match="second value 60 is out of range 0-59"):
        trigger(type="trigger.Schedule", cron="60 * * * * *", withSeconds=True)


def test_bad_timezone_suggests() -> None:
    with pytest.raises(ValidationError, match=r"unknown time zone 'Europe/Pari' \(did you mean 'Europe/Paris'\?\)"):
        trigger(type="trigger.Schedule", cron="@daily", timezone="Europe/Pari")


def test_schedule_on_dates_flow_and_webhook() -> None:
    on_dates = trigger(type="io.kestra.plugin.core.trigger.ScheduleOnDates", dates=["2025-01-01T10:00:00Z"], timezone="UTC")
    assert isinstance(on_dates, ScheduleOnDates) and on_dates.dates[0].year == 2025
    upstream = trigger(
        type="io.kestra.plugin.core.trigger.Flow", states=["SUCCESS", "WARNING"],
        preconditions={"id": "both", "flows": [{"namespace": "a", "flowId": "x", "states": ["SUCCESS"]}],
                       "where": [{"id": "f", "filters": [{"field": "NAMESPACE", "type": "STARTS_WITH", "value": "a."}]}],
                       "timeWindow": {"type": "SLIDING_WINDOW", "window": "PT1H"}},
    )
    assert isinstance(upstream, FlowTrigger) and upstream.states == [State.SUCCESS, State.WARNING]
    assert upstream.preconditions is not None and upstream.preconditions.timeWindow is not None
    hook = trigger(type="io.kestra.core.models.triggers.types.Webhook", key="s3cr3t", wait=True, returnOutputs=True)
    assert isinstance(hook, Webhook) and hook.returnOutputs
    with pytest.raises(ValidationError, match="returnOutputs needs wait: true"):
        trigger(type="trigger.Webhook", key="k", returnOutputs=True)
    with pytest.raises(ValidationError, match="key"):
        trigger(type="trigger.Webhook")


def test_all_core_triggers_are_registered_globally() -> None:
    for name in ("trigger.Schedule", "trigger.ScheduleOnDates", "trigger.Flow", "trigger.Webhook"):
        assert TRIGGERS.lookup(name) is not None
        assert TRIGGERS.lookup("io.kestra.plugin.core." + name) is TRIGGERS.lookup(name)


def test_conditions_by_every_name_and_nested() -> None:
    status = _CONDITION.validate_python({"type": "io.kestra.core.models.conditions.types.ExecutionStatusCondition", "in": ["FAILED"]})
    assert isinstance(status, ExecutionStatus) and status.in_ == [State.FAILED]
    negated = _CONDITION.validate_python(
        {"type": "io.kestra.plugin.core.condition.Not", "conditions": [{"type": "condition.Weekend"}, {"type": "condition.DayWeek", "dayOfWeek": "MONDAY"}]}
    )
    assert isinstance(negated, Not) and isinstance(negated.conditions[1], DayWeek)
    multiple = _CONDITION.validate_python(
        {"type": "io.kestra.core.models.conditions.types.MultipleCondition", "id": "both", "window": "P1D",
         "conditions": {"a": {"type": "io.kestra.core.models.conditions.types.FlowCondition", "namespace": "n", "flowId": "a"},
                        "b": {"type": "condition.ExecutionNamespace", "namespace": "n", "comparison": "PREFIX"}}}
    )
    assert isinstance(multiple, MultipleCondition) and multiple.window == timedelta(days=1)


def test_bad_conditions() -> None:
    with pytest.raises(ValidationError, match=r"unknown condition type 'condition.Weeknd' \(did you mean 'condition.Weekend'\?\)"):
        _CONDITION.validate_python({"type": "condition.Weeknd"})
    with pytest.raises(ValidationError, match="Input should be 'MONDAY'"):
        _CONDITION.validate_python({"type": "condition.DayWeek", "dayOfWeek": "FUNDAY"})


def test_trigger_problems_in_a_flow_are_located() -> None:
    text = (
        "id: f\nnamespace: n\ntasks:\n  - id: t\n    type: test.Echo\n    message: m\n"
        "triggers:\n  - id: s\n    type: trigger.Schedule\n    cron: '0 0 * *'\n"
        "    conditions:\n      - type: condition.Zzz\n  - id: u\n    type: trigger.Shedule\n"
    )
    with pytest.raises(FlowValidationError) as info:
        load(text)
    found = [str(p) for p in info.value.problems]
    assert found == [
        "flow.yaml:10:11: triggers[0].cron: invalid cron expression '0 0 * *': expected 5 fields (minute hour day-of-month month day-of-week), got 4",
        "flow.yaml:12:15: triggers[0].conditions[0].type: unknown condition type 'condition.Zzz'",
        "flow.yaml:14:11: triggers[1].type: unknown trigger type 'trigger.Shedule' (did you mean 'trigger.Schedule'?)",
    ]


@pytest.mark.parametrize(("text", "value"), [("PT30S", timedelta(seconds=30)), ("P1DT2H", timedelta(days=1, hours=2)), ("P2W", timedelta(days=14)), ("PT0.5S", timedelta(milliseconds=500))])
def test_durations(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize("text", ["10s", "P1M", "PT", "P", "1 hour"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="is not an ISO-8601 duration"):
        parse_duration(text)
