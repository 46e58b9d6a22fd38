"""Cron fire times: fields, names, macros, Quartz forms, and the daylight-saving rules (Europe/Paris)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from legato.scheduler.cron import Cron

PARIS = ZoneInfo("Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def paris(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=PARIS, fold=fold)  # type: ignore[misc]


def local_fires(expression: str, start: datetime, end: datetime, *, zone: str = "Europe/Paris",
                with_seconds: bool = False) -> list[str]:
    cron = Cron.parse(expression, timezone=zone, with_seconds=with_seconds)
    return [cron.local(d).isoformat() for d in cron.between(start, end)]


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("* * * * *", utc(2025, 1, 1, 10, 0, 30), utc(2025, 1, 1, 10, 1)),
    ("* * * * *", utc(2025, 1, 1, 10, 0), utc(2025, 1, 1, 10, 1)),  # strictly after
    ("*/15 * * * *", utc(2025, 1, 1, 10, 16), utc(2025, 1, 1, 10, 30)),
    ("5-10/2 * * * *", utc(2025, 1, 1, 10, 7), utc(2025, 1, 1, 10, 9)),
    ("0 9-17 * * MON-FRI", utc(2025, 1, 3, 17, 30), utc(2025, 1, 6, 9)),  # Friday evening -> Monday
    ("0 0 1 JAN,JUL *", utc(2025, 2, 1), utc(2025, 7, 1)),
    ("30 4 1,15 * 5", utc(2025, 1, 1, 5), utc(2025, 1, 3, 4, 30)),  # day of month OR day of week
    ("0 0 * * 7", utc(2025, 1, 1), utc(2025, 1, 5)),  # 7 is Sunday too
    ("@hourly", utc(2025, 1, 1, 10, 59, 59), utc(2025, 1, 1, 11)),
    ("@daily", utc(2025, 1, 1, 10), utc(2025, 1, 2)),
    ("@weekly", utc(2025, 1, 1), utc(2025, 1, 5)),
    ("@monthly", utc(2025, 1, 31), utc(2025, 2, 1)),
    ("@yearly", utc(2025, 1, 1), utc(2026, 1, 1)),
    ("0 0 29 2 *", utc(2025, 1, 1), utc(2028, 2, 29)),
    ("0 0 L * *", utc(2025, 2, 1), utc(2025, 2, 28)),
    ("0 0 LW * *", utc(2025, 5, 1), utc(2025, 5, 30)),  # 31 May 2025 is a Saturday
    ("0 0 15W * *", utc(2025, 6, 1), utc(2025, 6, 16)),  # 15 June 2025 is a Sunday
    ("0 0 1W * *", utc(2025, 2, 4), utc(2025, 3, 3)),  # 1 Mar 2025 is a Saturday: not back into February
    ("0 0 ? * 5L", utc(2025, 1, 1), utc(2025, 1, 31)),  # last Friday
    ("0 0 ? * MON#2", utc(2025, 1, 1), utc(2025, 1, 13)),  # second Monday
])
def test_next_fire_in_utc(expression: str, after: datetime, expected: datetime) -> None:
    assert Cron.parse(expression).next_after(after) == expected


def test_seconds_field() -> None:
    cron = Cron.parse("*/20 * * * * *", with_seconds=True)
    assert cron.between(utc(2025, 1, 1, 10), utc(2025, 1, 1, 10, 1)) == [
        utc(2025, 1, 1, 10, 0, 20), utc(2025, 1, 1, 10, 0, 40), utc(2025, 1, 1, 10, 1),
    ]
    assert Cron.parse("0 0 12 * * *", with_seconds=True).next_after(utc(2025, 1, 1)) == utc(2025, 1, 1, 12)


def test_a_macro_ignores_with_seconds() -> None:
    assert Cron.parse("@hourly", with_seconds=True).next_after(utc(2025, 1, 1)) == utc(2025, 1, 1, 1)


def test_an_impossible_date_has_no_fire() -> None:
    assert Cron.parse("0 0 30 2 *").next_after(utc(2025, 1, 1)) is None


def test_invalid_expressions_are_refused() -> None:
    with pytest.raises(ValueError, match="expected 5 fields"):
        Cron.parse("* * * *")
    with pytest.raises(ValueError, match="out of range"):
        Cron.parse("61 * * * *")


def test_previous_fire() -> None:
    cron = Cron.parse("*/5 * * * *")
    assert cron.previous_before(utc(2025, 1, 1, 10, 7)) == utc(2025, 1, 1, 10, 5)
    assert cron.previous_before(utc(2025, 1, 1, 10, 5)) == utc(2025, 1, 1, 10, 0)  # strictly before
    assert Cron.parse("0 0 1 * *").previous_before(utc(2025, 3, 1)) == utc(2025, 2, 1)


def test_fields_are_read_in_the_time_zone() -> None:
    cron = Cron.parse("0 9 * * *", timezone="Europe/Paris")
    assert cron.next_after(utc(2025, 1, 1)) == utc(2025, 1, 1, 8)  # 09:00 CET
    assert cron.next_after(utc(2025, 7, 1)) == utc(2025, 7, 1, 7)  # 09:00 CEST
    assert Cron.parse("0 9 * * *", timezone="America/New_York").next_after(utc(2025, 1, 1)) == utc(2025, 1, 1, 14)


# Spring forward: Sunday 30 March 2025, 02:00 CET -> 03:00 CEST (02:00-02:59 never happen).


def test_spring_a_daily_time_in_the_gap_fires_once_when_the_gap_ends() -> None:
    fires = local_fires("30 2 * * *", paris(2025, 3, 29), paris(2025, 3, 31, 12))
    assert fires == ["2025-03-29T02:30:00+01:00", "2025-03-30T03:00:00+02:00", "2025-03-31T02:30:00+02:00"]


def test_spring_every_minute_fires_once_at_the_end_of_the_gap() -> None:
    fires = local_fires("* * * * *", paris(2025, 3, 30, 1, 58), paris(2025, 3, 30, 3, 2))
    assert fires == ["2025-03-30T01:59:00+01:00", "2025-03-30T03:00:00+02:00", "2025-03-30T03:01:00+02:00",
                     "2025-03-30T03:02:00+02:00"]


def test_spring_hourly_fires_every_real_hour() -> None:
    fires = local_fires("0 * * * *", paris(2025, 3, 30, 0, 30), paris(2025, 3, 30, 4, 30))
    assert fires == ["2025-03-30T01:00:00+01:00", "2025-03-30T03:00:00+02:00", "2025-03-30T04:00:00+02:00"]


def test_spring_day_counts() -> None:
    start, end = paris(2025, 3, 30) - timedelta(seconds=1), paris(2025, 3, 31) - timedelta(seconds=1)
    assert len(local_fires("* * * * *", start, end)) == 23 * 60
    assert len(local_fires("*/5 * * * *", start, end)) == 23 * 12
    assert len(local_fires("0 * * * *", start, end)) == 23
    assert len(local_fires("15 2 * * *", start, end)) == 1


# Fall back: Sunday 26 October 2025, 03:00 CEST -> 02:00 CET (02:00-02:59 happen twice).


def test_fall_a_daily_time_in_the_fold_fires_once_at_its_first_occurrence() -> None:
    fires = local_fires("30 2 * * *", paris(2025, 10, 25), paris(2025, 10, 27, 12))
    assert fires == ["2025-10-25T02:30:00+02:00", "2025-10-26T02:30:00+02:00", "2025-10-27T02:30:00+01:00"]


def test_fall_every_minute_is_silent_during_the_repeated_hour() -> None:
    fires = local_fires("* * * * *", paris(2025, 10, 26, 2, 58), paris(2025, 10, 26, 3, 1))
    assert fires == ["2025-10-26T02:59:00+02:00", "2025-10-26T03:00:00+01:00", "2025-10-26T03:01:00+01:00"]


def test_fall_hourly_fires_once_for_two_oclock() -> None:
    fires = local_fires("0 * * * *", paris(2025, 10, 26, 0, 30), paris(2025, 10, 26, 4, 30))
    assert fires == ["2025-10-26T01:00:00+02:00", "2025-10-26T02:00:00+02:00", "2025-10-26T03:00:00+01:00",
                     "2025-10-26T04:00:00+01:00"]


def test_fall_day_counts() -> None:
    start, end = paris(2025, 10, 26) - timedelta(seconds=1), paris(2025, 10, 27) - timedelta(seconds=1)
    assert len(local_fires("* * * * *", start, end)) == 24 * 60
    assert len(local_fires("0 * * * *", start, end)) == 24


def test_from_inside_the_second_pass_of_the_fold() -> None:
    cron = Cron.parse("* * * * *", timezone="Europe/Paris")
    second_pass = paris(2025, 10, 26, 2, 30, fold=1)
    assert cron.local(cron.next_after(second_pass)).isoformat() == "2025-10-26T03:00:00+01:00"  # type: ignore[arg-type]
    assert cron.local(cron.previous_before(second_pass)).isoformat() == "2025-10-26T02:59:00+02:00"  # type: ignore[arg-type]


def test_no_instant_fires_twice_over_a_year() -> None:
    cron = Cron.parse("*/30 * * * *", timezone="Europe/Paris")
    fires = cron.between(utc(2024, 12, 31, 23), utc(2025, 12, 31, 23), limit=100_000)
    # every local half hour once, but 02:00 and 02:30 of the spring gap merge with 03:00
    assert len(fires) == len(set(fires)) == 365 * 48 - 2
    assert fires == sorted(fires)


def test_previous_and_next_are_inverse() -> None:
    cron = Cron.parse("7 */3 * * *", timezone="Europe/Paris")
    fires = cron.between(utc(2025, 3, 29), utc(2025, 4, 2))
    for earlier, later in itertools.pairwise(fires):
        assert cron.next_after(earlier) == later
        assert cron.previous_before(later) == earlier
