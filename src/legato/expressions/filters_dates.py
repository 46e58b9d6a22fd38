"""Date filters (`date`, `dateAdd`, `timestamp*`) and `now()`, following Kestra's AbstractDate."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

import legato.expressions.javatime as jt
from legato.expressions.errors import ExpressionError
from legato.expressions.runtime import State
from legato.expressions.values import iso_instant, type_name


def _fraction(d: datetime) -> str:
    """ISO_LOCAL_TIME's fraction: only the digits needed, none when zero."""
    return f".{d.microsecond:06d}".rstrip("0") if d.microsecond else ""


def _iso_time(d: datetime) -> str:
    return d.strftime("%H:%M:%S") + _fraction(d)


def _iso_offset(d: datetime) -> str:
    text: str = jt.offset_text(d, colon=True, seconds=True)
    return text


def _zone_suffix(d: datetime) -> str:
    return f"[{d.tzinfo.key}]" if isinstance(d.tzinfo, ZoneInfo) else ""


def _styled(style: str) -> Callable[[datetime], str]:
    patterns = {"short": "M/d/yy, h:mm a", "medium": "MMM d, y, h:mm:ss a",
                "long": "MMMM d, y 'at' h:mm:ss a z", "full": "EEEE, MMMM d, y 'at' h:mm:ss a zzzz"}
    return lambda d: jt.format_pattern(d, patterns[style])


NAMED: dict[str, Callable[[datetime], str]] = {
    "iso": lambda d: jt.format_pattern(d, "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"),
    "iso_sec": lambda d: jt.format_pattern(d, "yyyy-MM-dd'T'HH:mm:ssXXX"),
    "iso_milli": lambda d: jt.format_pattern(d, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
    "sql": lambda d: jt.format_pattern(d, "yyyy-MM-dd HH:mm:ss.SSSSSS"),
    "sql_seq": lambda d: jt.format_pattern(d, "yyyy-MM-dd HH:mm:ss"),
    "sql_milli": lambda d: jt.format_pattern(d, "yyyy-MM-dd HH:mm:ss.SSS"),
    "iso_date_time": lambda d: f"{d:%Y-%m-%d}T{_iso_time(d)}{_iso_offset(d)}{_zone_suffix(d)}",
    "iso_zoned_date_time": lambda d: f"{d:%Y-%m-%d}T{_iso_time(d)}{_iso_offset(d)}{_zone_suffix(d)}",
    "iso_offset_date_time": lambda d: f"{d:%Y-%m-%d}T{_iso_time(d)}{_iso_offset(d)}",
    "iso_local_date_time": lambda d: f"{d:%Y-%m-%d}T{_iso_time(d)}",
    "iso_date": lambda d: f"{d:%Y-%m-%d}{_iso_offset(d)}",
    "iso_offset_date": lambda d: f"{d:%Y-%m-%d}{_iso_offset(d)}",
    "iso_local_date": lambda d: f"{d:%Y-%m-%d}",
    "iso_time": lambda d: f"{_iso_time(d)}{_iso_offset(d)}",
    "iso_offset_time": lambda d: f"{_iso_time(d)}{_iso_offset(d)}",
    "iso_local_time": _iso_time,
    "iso_instant": lambda d: iso_instant(d.astimezone(UTC)),
    "iso_ordinal_date": lambda d: f"{d:%Y-%j}{_iso_offset(d)}",
    "iso_week_date": lambda d: "{:04d}-W{:02d}-{}".format(*d.isocalendar()) + _iso_offset(d),
    "rfc_1123_date_time": lambda d: jt.format_pattern(d, "EEE, d MMM yyyy HH:mm:ss") + " "
    + (jt.offset_text(d, colon=False, zero="GMT")),
    **{style: _styled(style) for style in ("short", "medium", "long", "full")},
}
_PARSE_ALIASES = {"iso": "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]XXX", "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
                  "iso_milli": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "sql": "yyyy-MM-dd HH:mm:ss[.SSSSSS]",
                  "sql_seq": "yyyy-MM-dd HH:mm:ss", "sql_milli": "yyyy-MM-dd HH:mm:ss.SSS",
                  "iso_local_date": "yyyy-MM-dd", "iso_local_date_time": "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS]"}


def format_date(d: datetime, fmt: str) -> str:
    named = NAMED.get(fmt)
    return named(d) if named else jt.format_pattern(d, fmt)


def parse_iso(text: str, tz: tzinfo) -> datetime:
    """Java's ZonedDateTime.parse, and the ISO shapes Kestra users pass (date only, no zone)."""
    s = text.strip()
    region = None
    m = re.fullmatch(r"(.*)\[([^\]]+)\]", s)
    if m:
        s, region = m.group(1), m.group(2)
    try:
        d = datetime.fromisoformat(s)
    except ValueError:
        raise ExpressionError(
            f"Cannot read {text!r} as a date; give its format with existingFormat=\"...\"") from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=tz)
    return d.astimezone(jt.zone(region)) if region else d


def to_datetime(value: Any, tz: tzinfo, existing_format: str | None = None) -> datetime:
    """Kestra's AbstractDate.convert: datetimes, dates, epoch seconds, or text."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else datetime.fromisoformat(value.isoformat())

    if isinstance(value, date):
        return datetime.combine(value, time(12), tz)
    if isinstance(value, bool):
        raise ExpressionError("Cannot read a boolean as a date")
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value, UTC).astimezone(tz)
        except (OverflowError, OSError, ValueError):
            raise ExpressionError(f"Timestamp {value} is out of range") from None
    if isinstance(value, str):
        if existing_format:
            parsed: datetime = jt.parse_pattern(value, _PARSE_ALIASES.get(existing_format, existing_format), tz)
            return parsed
        return parse_iso(value, tz)
    raise ExpressionError(f"Cannot read a {type_name(value)} as a date")


def f_date(st: State, value: Any, format: str = "iso", timeZone: str | None = None,
           existingFormat: str | None = None, locale: str | None = None) -> Any:
    if value is None:
        return None
    tz = jt.zone(timeZone)
    return format_date(to_datetime(value, tz, existingFormat).astimezone(tz), format)


_UNITS: dict[str, Callable[[int], timedelta | relativedelta]] = {
    "NANOS": lambda n: timedelta(microseconds=n / 1000), "MICROS": lambda n: timedelta(microseconds=n),
    "MILLIS": lambda n: timedelta(milliseconds=n), "SECONDS": lambda n: timedelta(seconds=n),
    "MINUTES": lambda n: timedelta(minutes=n), "HOURS": lambda n: timedelta(hours=n),
    "HALF_DAYS": lambda n: timedelta(hours=12 * n), "DAYS": lambda n: relativedelta(days=n),
    "WEEKS": lambda n: relativedelta(weeks=n), "MONTHS": lambda n: relativedelta(months=n),
    "YEARS": lambda n: relativedelta(years=n), "DECADES": lambda n: relativedelta(years=10 * n),
    "CENTURIES": lambda n: relativedelta(years=100 * n), "MILLENNIA": lambda n: relativedelta(years=1000 * n),
}


def add_amount(d: datetime, amount: Any, unit: str) -> datetime:
    if type(amount) is not int:
        raise ExpressionError(f"dateAdd needs an integer amount, got {type_name(amount)}")
    make = _UNITS.get(str(unit).upper())
    if make is None:
        raise ExpressionError(f"Unknown unit {unit!r} for dateAdd (use {', '.join(_UNITS)})")
    step = make(amount)
    try:
        if isinstance(step, timedelta):  # time units are exact durations, as in Java
            return (d.astimezone(UTC) + step).astimezone(d.tzinfo)
        return d + step  # date units move the wall clock
    except (OverflowError, ValueError):
        raise ExpressionError("dateAdd result is out of the supported date range") from None


def f_date_add(st: State, value: Any, amount: Any, unit: str, format: str = "iso",
               timeZone: str | None = None, existingFormat: str | None = None,
               locale: str | None = None) -> Any:
    if value is None:
        return None
    tz = jt.zone(timeZone)
    moved = add_amount(to_datetime(value, tz, existingFormat), amount, unit)
    return format_date(moved.astimezone(tz), format)


def _timestamp(scale: int) -> Callable[..., Any]:
    def stamp(st: State, value: Any, timeZone: str | None = None,
              existingFormat: str | None = None) -> Any:
        if value is None:
            return None
        d = to_datetime(value, jt.zone(timeZone), existingFormat)
        delta = d - datetime(1970, 1, 1, tzinfo=UTC)
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return micros * scale // 1_000_000 if scale < 1_000_000 else micros * (scale // 1_000_000)
    return stamp


def fn_now(st: State, format: str = "iso", timeZone: str | None = None,
           locale: str | None = None) -> Any:
    tz = jt.zone(timeZone)
    return format_date(st.engine.clock().astimezone(tz), format)


FILTERS: dict[str, Callable[..., Any]] = {
    "date": f_date, "dateAdd": f_date_add, "timestamp": _timestamp(1), "timestampMilli": _timestamp(1000),
    "timestampMicro": _timestamp(1_000_000), "timestampNano": _timestamp(1_000_000_000),
}
FUNCTIONS: dict[str, Callable[..., Any]] = {"now": fn_now}
