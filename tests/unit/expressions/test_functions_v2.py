"""Kestra 2.0's functions: loopOutputs() and the calendar helpers of trigger `when` expressions."""

from __future__ import annotations

from typing import Any

import pytest

from legato.expressions import ExpressionError, Renderer

R = Renderer()


def typed(template: str, **context: Any) -> Any:
    return R.render_typed(template, context)


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ isWeekend('2025-06-07T10:00:00Z') }}", True),
    ("{{ isWeekend('2025-06-09') }}", False),
    ("{{ dayOfWeek('2025-06-09T23:30:00Z') }}", "MONDAY"),
    ("{{ dayOfWeek('2025-06-09T23:30:00-02:00') }}", "MONDAY"),  # the date's own zone, not UTC
    ("{{ hourOfDay('2025-06-09T07:15:00+02:00') }}", 7),
    ("{{ dayOfMonth('2025-02-28') }}", 28),
    ("{{ monthOfYear('2025-02-28') }}", 2),
    ("{{ isDayWeekInMonth('2025-06-09', 'MONDAY', 'SECOND') }}", True),
    ("{{ isDayWeekInMonth('2025-06-23', 'MONDAY', 'FOURTH') }}", True),
    ("{{ isDayWeekInMonth('2025-06-23', 'MONDAY', 'LAST') }}", False),
    ("{{ isDayWeekInMonth('2025-06-30', 'monday', 'last') }}", True),
    ("{{ isLastWorkingDay('2025-08-29') }}", True),
    ("{{ isLastWorkingDay('2025-08-31', ['SUNDAY']) }}", True),
    ("{{ isPublicHoliday('2025-01-01', 'FR') }}", True),
    ("{{ isPublicHoliday('2025-01-02', 'fr') }}", False),
    ("{{ isPublicHoliday('2025-11-11', 'FR', 'IDF') }}", True),  # a sub-division the calendar lacks: the country's
])
def test_calendar_helpers(template: str, expected: Any) -> None:
    assert typed(template) == expected


def test_helpers_read_a_trigger_date_object() -> None:
    from datetime import UTC, datetime

    date = datetime(2025, 12, 25, 9, tzinfo=UTC)
    assert typed("{{ isPublicHoliday(trigger.date, 'US') and not isWeekend(trigger.date) }}", trigger={"date": date})


@pytest.mark.parametrize(("template", "message"), [
    ("{{ isWeekend(null) }}", "needs a date"),
    ("{{ dayOfWeek('not a date') }}", "date"),
    ("{{ isDayWeekInMonth('2025-06-09', 'MOONDAY', 'FIRST') }}", "not a day of the week"),
    ("{{ isDayWeekInMonth('2025-06-09', 'MONDAY', 'FIFTH') }}", "FIRST, SECOND"),
    ("{{ isPublicHoliday('2025-06-09') }}", "needs a country code"),
    ("{{ isPublicHoliday('2025-06-09', 'ZZ') }}", "no public holiday calendar"),
])
def test_calendar_helper_errors(template: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        typed(template)


def test_loop_outputs_keeps_positions() -> None:
    outputs = [{"item": {"value": "a"}, "outputs": {"uri": "s3://a"}}, {"item": {"value": "b"}}, "not-a-map"]
    assert typed("{{ loopOutputs(o, 'uri') }}", o=outputs) == ["s3://a", None, None]
    assert typed("{{ loopOutputs(o, 'x') }}", o=[]) == []


@pytest.mark.parametrize(("template", "message"), [
    ("{{ loopOutputs() }}", "non-null argument 'outputs'"),
    ("{{ loopOutputs([], null) }}", "non-null argument 'name'"),
    ("{{ loopOutputs('x', 'uri') }}", "to be a list"),
    ("{{ loopOutputs([], 3) }}", "to be a string"),
])
def test_loop_outputs_errors(template: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        typed(template)
