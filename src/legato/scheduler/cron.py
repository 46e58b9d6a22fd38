"""Cron fire times: 5 fields (6 with a leading seconds field), macros, names (MON, JAN), and the Quartz
forms L, LW, nW (day of month), nL and n#k (day of week).

Fields are read in the trigger's IANA time zone and matched on local wall-clock time. Daylight-saving
changes follow two rules:

- Gap (spring forward: in Europe/Paris 02:00-02:59 does not exist on the last Sunday of March): a local
  time inside the gap fires at the first instant after it (03:00 local), and several gap times that all
  land there fire once. `0 2 * * *` fires at 03:00 that day; `* * * * *` fires once at 03:00, then 03:01.
- Fold (fall back: 02:00-02:59 happens twice on the last Sunday of October): each local time fires once,
  at its first occurrence (summer time). `* * * * *` is silent during the repeated hour, `0 2 * * *`
  fires at 02:00 CEST only.

So every local date-time the expression matches fires exactly once, and an instant never fires twice.
Day of month and day of week, when both are restricted, match when either does (Vixie cron).
"""

from __future__ import annotations

import bisect
import calendar
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from legato.model.triggers_cron import CronSpec, DaySpec, parse_cron

_MAX_YEARS = 30  # an expression that matches no date (`0 0 30 2 *`) gives up after this many years


@functools.lru_cache(maxsize=4096)
def _month_days(spec: DaySpec, year: int, month: int) -> tuple[int, ...]:
    """The days of that month the day fields match, ascending; day of month OR day of week when both are
    restricted (Vixie cron)."""
    length = calendar.monthrange(year, month)[1]
    if spec.dom_any and spec.dow_any:
        return tuple(range(1, length + 1))
    dom = _dom_days(spec, year, month, length)
    dow = _dow_days(spec, year, month, length)
    if spec.dom_any:
        return tuple(sorted(dow))
    if spec.dow_any:
        return tuple(sorted(dom))
    return tuple(sorted(dom | dow))


def _dom_days(spec: DaySpec, year: int, month: int, length: int) -> set[int]:
    days = {d for d in spec.dom if d <= length}
    if spec.dom_last:
        days.add(length)
    if spec.dom_last_weekday:
        days.add(_nearest_weekday(year, month, length, length))
    for day in spec.dom_nearest_weekday:
        if day <= length:
            days.add(_nearest_weekday(year, month, day, length))
    return days


def _dow_days(spec: DaySpec, year: int, month: int, length: int) -> set[int]:
    days: set[int] = set()
    for day in range(1, length + 1):
        weekday = _cron_weekday(date(year, month, day))
        if weekday in spec.dow:
            days.add(day)
        if weekday in spec.dow_last and day + 7 > length:
            days.add(day)
        if (weekday, (day - 1) // 7 + 1) in spec.dow_nth:
            days.add(day)
    return days


def _cron_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    """Quartz's nW: the weekday nearest to `day` without leaving the month."""
    weekday = date(year, month, day).weekday()  # Monday = 0
    if weekday == 5:  # Saturday: Friday before, or Monday after when the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before when the last day
        return day + 1 if day < length else day - 2
    return day


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression (the model's CronSpec) bound to a time zone: its fire times."""

    spec: CronSpec
    zone: ZoneInfo

    @classmethod
    def parse(cls, expression: str, *, with_seconds: bool = False, timezone: str = "Etc/UTC") -> Cron:
        """Parse `expression` (ValueError with the reason when invalid)."""
        return cls(parse_cron(expression, with_seconds=with_seconds), ZoneInfo(timezone))

    @property
    def expression(self) -> str:
        return self.spec.expression

    # local (naive) wall-clock times ------------------------------------------------------------------
    def _local_after(self, start: datetime) -> Iterator[datetime]:
        """Matching naive local times strictly after `start`, ascending."""
        year, month = start.year, start.month
        for _ in range(12 * _MAX_YEARS):
            if month in self.spec.months:
                for day in _month_days(self.spec.days, year, month):
                    current = date(year, month, day)
                    if current < start.date():
                        continue
                    bound = start.time() if current == start.date() else None
                    for moment in self._times_after(current, bound):
                        if moment > start:
                            yield moment
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def _local_before(self, start: datetime) -> Iterator[datetime]:
        """Matching naive local times strictly before `start`, descending."""
        year, month = start.year, start.month
        for _ in range(12 * _MAX_YEARS):
            if month in self.spec.months:
                for day in reversed(_month_days(self.spec.days, year, month)):
                    current = date(year, month, day)
                    if current > start.date():
                        continue
                    bound = start.time() if current == start.date() else None
                    for moment in self._times_before(current, bound):
                        if moment < start:
                            yield moment
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)

    def _times_after(self, day: date, bound: time | None) -> Iterator[datetime]:
        """The day's matching times, ascending, skipping whole hours and minutes before `bound`."""
        for hour in self.spec.hours[bisect.bisect_left(self.spec.hours, bound.hour) if bound else 0:]:
            same_hour = bound is not None and hour == bound.hour
            for minute in self.spec.minutes[bisect.bisect_left(self.spec.minutes, bound.minute) if same_hour else 0:]:  # type: ignore[union-attr]
                for second in self.spec.seconds:
                    yield datetime.combine(day, time(hour, minute, second))

    def _times_before(self, day: date, bound: time | None) -> Iterator[datetime]:
        """The day's matching times, descending, skipping whole hours and minutes after `bound`."""
        hours = self.spec.hours[: bisect.bisect_right(self.spec.hours, bound.hour)] if bound else self.spec.hours
        for hour in reversed(hours):
            same_hour = bound is not None and hour == bound.hour
            minutes = self.spec.minutes[: bisect.bisect_right(self.spec.minutes, bound.minute)] if same_hour else self.spec.minutes  # type: ignore[union-attr]
            for minute in reversed(minutes):
                for second in reversed(self.spec.seconds):
                    yield datetime.combine(day, time(hour, minute, second))

    # instants ----------------------------------------------------------------------------------------
    def instant(self, local: datetime) -> datetime:
        """The UTC instant a matching local time fires at: its first occurrence in a fold, the end of the
        gap for a time the clocks skip."""
        first = local.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        if first.astimezone(self.zone).replace(tzinfo=None) == local:
            return first
        return _gap_end(self.zone, local)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire instant strictly after `moment` (aware), in UTC; None when there is none."""
        moment = moment.astimezone(UTC)
        start = moment.astimezone(self.zone).replace(tzinfo=None, fold=0)
        for local in self._local_after(start):
            fire = self.instant(local)
            if fire > moment:  # a fold's second pass: earlier local times fired in the first pass
                return fire
        return None

    def previous_before(self, moment: datetime) -> datetime | None:
        """The last fire instant strictly before `moment` (aware), in UTC; None when there is none."""
        moment = moment.astimezone(UTC)
        local = moment.astimezone(self.zone)
        start = local.replace(tzinfo=None, fold=0)
        if local.fold:
            # In the fold's second pass the rest of the first pass (later local times) already fired.
            start += local.replace(fold=0).utcoffset() - local.utcoffset()  # type: ignore[operator]
        for candidate in self._local_before(start + timedelta(microseconds=1)):
            fire = self.instant(candidate)
            if fire < moment:
                return fire
        return None

    def between(self, after: datetime, until: datetime, limit: int = 10_000) -> list[datetime]:
        """Fire instants in (after, until], ascending, at most `limit` (the oldest)."""
        out: list[datetime] = []
        current = after
        while len(out) < limit:
            fire = self.next_after(current)
            if fire is None or fire > until:
                break
            out.append(fire)
            current = fire
        return out

    def upcoming(self, after: datetime, count: int) -> list[datetime]:
        """The first `count` fire instants strictly after `after`, ascending (fewer when the cron ends)."""
        out: list[datetime] = []
        while len(out) < count and (fire := self.next_after(out[-1] if out else after)) is not None:
            out.append(fire)
        return out

    def local(self, instant: datetime) -> datetime:
        """`instant` in the cron's time zone."""
        return instant.astimezone(self.zone)


def _gap_end(zone: ZoneInfo, local: datetime) -> datetime:
    """The UTC instant the clocks jump at, for a local time inside that jump's gap."""
    # Read with the offset before the jump the local time lies after the transition, with the offset
    # after it, before: the transition is between the two.
    late = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    early = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(early, late), max(early, late)
    before = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)
