"""Functions Kestra 2.0 added: `loopOutputs()` over a Loop's outputs, and the calendar helpers that trigger
`when` expressions use instead of 1.x conditions (`isWeekend`, `isPublicHoliday`, `isDayWeekInMonth`,
`isLastWorkingDay`, `dayOfWeek`, `hourOfDay`, `dayOfMonth`, `monthOfYear`).

Dates may be datetimes or ISO-8601 text (as `trigger.date` renders); a date without a zone is read in UTC.
Public holidays come from the `holidays` package (Kestra uses Jollyday): a sub-division the package does not
know (Jollyday's `IDF` for Île-de-France, for instance) falls back to the country's own calendar.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from legato.expressions.errors import ExpressionError
from legato.expressions.filters_dates import to_datetime
from legato.expressions.runtime import State

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
POSITIONS = ("FIRST", "SECOND", "THIRD", "FOURTH", "LAST")


def fn_loop_outputs(st: State, outputs: Any = None, name: Any = None) -> Any:
    """One output of every iteration of a Loop, in iteration order (null where an iteration lacks it)."""
    if outputs is None:
        raise ExpressionError("The 'loopOutputs' function expects a non-null argument 'outputs'.")
    if not isinstance(outputs, list | tuple):
        raise ExpressionError("The 'loopOutputs' function expects 'outputs' to be a list.")
    if name is None:
        raise ExpressionError("The 'loopOutputs' function expects a non-null argument 'name'.")
    if not isinstance(name, str):
        raise ExpressionError("The 'loopOutputs' function expects 'name' to be a string.")
    out = []
    for entry in outputs:
        values = entry.get("outputs") if isinstance(entry, Mapping) else None
        out.append(values.get(name) if isinstance(values, Mapping) else None)
    return out


def _date(value: Any, function: str) -> datetime:
    if value is None:
        raise ExpressionError(f"{function}() needs a date, got null")
    return to_datetime(value, UTC)


def _day(value: Any, function: str) -> str:
    name = str(value).upper()
    if name not in DAYS:
        raise ExpressionError(f"{function}(): {value!r} is not a day of the week ({', '.join(DAYS)})")
    return name


def fn_is_weekend(st: State, date: Any = None) -> bool:
    return _date(date, "isWeekend").weekday() >= 5


def fn_day_of_week(st: State, date: Any = None) -> str:
    return DAYS[_date(date, "dayOfWeek").weekday()]


def fn_hour_of_day(st: State, date: Any = None) -> int:
    return _date(date, "hourOfDay").hour


def fn_day_of_month(st: State, date: Any = None) -> int:
    return _date(date, "dayOfMonth").day


def fn_month_of_year(st: State, date: Any = None) -> int:
    return _date(date, "monthOfYear").month


def fn_is_day_week_in_month(st: State, date: Any = None, dayOfWeek: Any = None, position: Any = None) -> bool:
    """True when `date` is the FIRST..FOURTH or LAST `dayOfWeek` of its month."""
    when = _date(date, "isDayWeekInMonth")
    day = _day(dayOfWeek, "isDayWeekInMonth")
    where = str(position).upper()
    if where not in POSITIONS:
        raise ExpressionError(f"isDayWeekInMonth(): {position!r} is not one of {', '.join(POSITIONS)}")
    if DAYS[when.weekday()] != day:
        return False
    if where == "LAST":
        return when.day + 7 > calendar.monthrange(when.year, when.month)[1]
    return (when.day - 1) // 7 == POSITIONS.index(where)


def fn_is_last_working_day(st: State, date: Any = None, workingDays: Any = None) -> bool:
    """True when `date` is the last working day of its month (Monday to Friday unless `workingDays` says)."""
    when = _date(date, "isLastWorkingDay").date()
    days = [_day(d, "isLastWorkingDay") for d in workingDays] if workingDays else list(DAYS[:5])
    if DAYS[when.weekday()] not in days:
        return False
    last = date_type(when.year, when.month, calendar.monthrange(when.year, when.month)[1])
    while DAYS[last.weekday()] not in days:
        last -= timedelta(days=1)
    return when == last


def fn_is_public_holiday(st: State, date: Any = None, countryCode: Any = None, subDivision: Any = None) -> bool:
    """True when `date` is a public holiday of `countryCode` (ISO 3166, e.g. FR), optionally of a sub-division."""
    import holidays  # a large module: loaded by the flows that use it

    when = _date(date, "isPublicHoliday").date()
    if not countryCode:
        raise ExpressionError("isPublicHoliday() needs a country code, e.g. isPublicHoliday(trigger.date, 'FR')")
    code = str(countryCode).upper()
    try:
        days = holidays.country_holidays(code, subdiv=str(subDivision).upper() if subDivision else None, years=when.year)
    except NotImplementedError:
        if not subDivision:
            raise ExpressionError(f"isPublicHoliday(): no public holiday calendar for country '{code}'") from None
        try:
            days = holidays.country_holidays(code, years=when.year)
        except NotImplementedError:
            raise ExpressionError(f"isPublicHoliday(): no public holiday calendar for country '{code}'") from None
    return when in days


date_type = date  # the `date` parameters above shadow the class inside those functions

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "loopOutputs": fn_loop_outputs,
    "isWeekend": fn_is_weekend,
    "isPublicHoliday": fn_is_public_holiday,
    "isDayWeekInMonth": fn_is_day_week_in_month,
    "isLastWorkingDay": fn_is_last_working_day,
    "dayOfWeek": fn_day_of_week,
    "hourOfDay": fn_hour_of_day,
    "dayOfMonth": fn_day_of_month,
    "monthOfYear": fn_month_of_year,
}
