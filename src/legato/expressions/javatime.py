"""Java DateTimeFormatter patterns (`yyyy-MM-dd'T'HH:mm:ss.SSSXXX`) for formatting and parsing."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from legato.expressions.errors import ExpressionError

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_LETTERS = set("GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZ")
Piece = tuple[str, Any]  # ("lit", text) | ("opt", "[" or "]") | (letter, count)


@functools.lru_cache(maxsize=512)
def tokenize(pattern: str) -> tuple[Piece, ...]:
    """Split a pattern into literal text and (letter, count) fields."""
    out: list[Piece] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            end = i + 1
            buf = []
            while end < len(pattern):
                if pattern[end] == "'":
                    if pattern[end + 1:end + 2] == "'":
                        buf.append("'")
                        end += 2
                        continue
                    break
                buf.append(pattern[end])
                end += 1
            else:
                raise ExpressionError(f"Unclosed quote in date pattern {pattern!r}")
            out.append(("lit", "".join(buf) if end > i + 1 else "'"))
            i = end + 1
        elif c.isascii() and c.isalpha():
            if c not in _LETTERS:
                raise ExpressionError(f"Unknown pattern letter '{c}' in date pattern {pattern!r}")
            j = i
            while j < len(pattern) and pattern[j] == c:
                j += 1
            out.append((c, j - i))
            i = j
        elif c in "[]":
            out.append(("opt", c))
            i += 1
        elif c in "#{}":
            raise ExpressionError(f"Reserved character '{c}' in date pattern {pattern!r}")
        else:
            out.append(("lit", c))
            i += 1
    return tuple(out)


def zone(name: str | None) -> tzinfo:
    """Java's ZoneId.of: region ids, 'UTC', 'Z', offsets like '+02:00'."""
    if name is None or name in ("UTC", "Z", "GMT", "UT"):
        return UTC
    m = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?", name)
    if m:
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return timezone(-delta if m.group(1) == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ExpressionError(f"Unknown time zone {name!r}") from None


def offset_text(d: datetime, colon: bool, seconds: bool = False, zero: str | None = "Z",
                minutes: str = "always") -> str:
    off = d.utcoffset() or timedelta(0)
    total = int(off.total_seconds())
    if total == 0 and zero is not None:
        return zero
    sign = "+" if total >= 0 else "-"
    h, rest = divmod(abs(total), 3600)
    m, s = divmod(rest, 60)
    sep = ":" if colon else ""
    text = f"{sign}{h:02d}"
    if minutes == "always" or m or (seconds and s):
        text += f"{sep}{m:02d}"
    if seconds and s:
        text += f"{sep}{s:02d}"
    return text


def zone_id(d: datetime) -> str:
    tz = d.tzinfo
    if isinstance(tz, ZoneInfo):
        return tz.key
    return offset_text(d, colon=True)


def _gmt(d: datetime, long: bool) -> str:
    off = d.utcoffset() or timedelta(0)
    if not off:
        return "GMT"
    if long:
        return "GMT" + offset_text(d, colon=True, zero=None)
    total = int(off.total_seconds())
    h, rest = divmod(abs(total), 3600)
    return f"GMT{'+' if total >= 0 else '-'}{h}" + (f":{rest // 60:02d}" if rest else "")


def _text(value: str, n: int) -> str:
    return value[:3] if n <= 3 else value if n == 4 else value[:1]


def field(d: datetime, letter: str, n: int) -> str:
    """Format one pattern field."""
    if letter in "yu":
        return f"{d.year % 100:02d}" if n == 2 else str(d.year).zfill(n)
    if letter == "Y":
        y = d.isocalendar()[0]
        return f"{y % 100:02d}" if n == 2 else str(y).zfill(n)
    if letter in "ML":
        return str(d.month).zfill(n) if n <= 2 else _text(MONTHS[d.month - 1], n)
    if letter in "Qq":
        q = (d.month - 1) // 3 + 1
        return str(q).zfill(n) if n <= 2 else f"Q{q}" if n == 3 else f"{q}{'stndrdth'[2 * min(q - 1, 3):][:2]} quarter"
    if letter in "Eec" and (letter == "E" or n >= 3):
        return _text(DAYS[d.weekday()], n)
    if letter in "ec":
        return str(d.isoweekday())
    simple = {
        "d": d.day, "D": d.timetuple().tm_yday, "H": d.hour, "m": d.minute, "s": d.second,
        "h": (d.hour % 12) or 12, "K": d.hour % 12, "k": d.hour or 24, "w": d.isocalendar()[1],
        "W": (d.day - 1) // 7 + 1, "F": (d.day - 1) // 7 + 1,
        "A": ((d.hour * 60 + d.minute) * 60 + d.second) * 1000 + d.microsecond // 1000,
        "n": d.microsecond * 1000,
        "N": (((d.hour * 60 + d.minute) * 60 + d.second) * 1_000_000 + d.microsecond) * 1000,
    }
    if letter in simple:
        return str(simple[letter]).zfill(n)
    if letter == "S":
        return f"{d.microsecond:06d}000"[:n].ljust(n, "0")
    if letter in "aB":
        return "AM" if d.hour < 12 else "PM"
    if letter == "G":
        return "AD" if n <= 3 else "Anno Domini" if n == 4 else "A"
    return _zone_field(d, letter, n)


def _zone_field(d: datetime, letter: str, n: int) -> str:
    if letter == "V":
        return zone_id(d)
    if letter in "zv":
        return d.tzname() or zone_id(d)
    if letter == "O":
        return _gmt(d, long=n == 4)
    if letter in "Xx":
        zero = "Z" if letter == "X" else None
        if n == 1:
            return offset_text(d, colon=False, zero=zero, minutes="nonzero")
        return offset_text(d, colon=n in (3, 5), seconds=n >= 4, zero=zero)
    # Z
    if n <= 3:
        return offset_text(d, colon=False, zero=None)
    if n == 4:
        return _gmt(d, long=True)
    return offset_text(d, colon=True, seconds=True)


def format_pattern(d: datetime, pattern: str) -> str:
    """Format `d` with a Java pattern."""
    parts = []
    for kind, value in tokenize(pattern):
        if kind == "lit":
            parts.append(value)
        elif kind != "opt":
            parts.append(field(d, kind, value))
    return "".join(parts)


# --- parsing -------------------------------------------------------------------------------------

_NUMERIC = {"y": r"\d{1,9}", "u": r"[+-]?\d{1,9}", "M": r"\d{1,2}", "L": r"\d{1,2}", "d": r"\d{1,2}",
            "D": r"\d{1,3}", "H": r"\d{1,2}", "h": r"\d{1,2}", "k": r"\d{1,2}", "K": r"\d{1,2}",
            "m": r"\d{1,2}", "s": r"\d{1,2}"}


def _regex_for(letter: str, n: int, index: int) -> str:
    name = f"{letter}{index}"
    if letter in "SnA":
        return rf"(?P<{name}>\d{{{n}}})" if letter == "S" else rf"(?P<{name}>\d+)"
    if letter in "ML" and n >= 3:
        return rf"(?P<{name}>[A-Za-z]+)"
    if letter in _NUMERIC:
        exact = rf"\d{{{n}}}" if n >= 2 else _NUMERIC[letter]
        return rf"(?P<{name}>{exact})"
    if letter in "Eec":
        return rf"(?P<{name}>[A-Za-z]+|\d)"
    if letter in "aB":
        return rf"(?P<{name}>[AaPp][Mm])"
    if letter in "XxZO":
        return rf"(?P<{name}>Z|GMT|UTC|(?:GMT|UTC)?[+-]\d{{1,2}}(?::?\d{{2}}){{0,2}})"
    if letter in "Vzv":
        return rf"(?P<{name}>[A-Za-z_]+(?:/[A-Za-z_+\-0-9]+)*|[+-]\d{{2}}:\d{{2}})"
    return rf"(?P<{name}>\S+?)"


@functools.lru_cache(maxsize=256)
def _parser(pattern: str) -> re.Pattern[str]:
    parts = []
    for i, (kind, value) in enumerate(tokenize(pattern)):
        if kind == "lit":
            parts.append(re.escape(value))
        elif kind == "opt":
            parts.append("(?:" if value == "[" else ")?")
        else:
            parts.append(_regex_for(kind, value, i))
    return re.compile("".join(parts), re.IGNORECASE)


def parse_pattern(text: str, pattern: str, default_zone: tzinfo) -> datetime:
    """Parse `text` with a Java pattern; missing date parts default to 1970-01-01, time to midnight."""
    m = _parser(pattern).fullmatch(text.strip())
    if m is None:
        raise ExpressionError(f"Date {text!r} does not match the format {pattern!r}")
    values = {"year": 1970, "month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0}
    tz, pm, yday = default_zone, None, None
    for key, raw in m.groupdict().items():
        if raw is None:
            continue
        letter = key[0]
        if letter in "yu":
            year = int(raw)
            values["year"] = 2000 + year if len(raw) == 2 else year
        elif letter in "ML":
            values["month"] = int(raw) if raw.isdigit() else _month(raw)
        elif letter in "dHms":
            values[{"d": "day", "H": "hour", "m": "minute", "s": "second"}[letter]] = int(raw)
        elif letter in "hkK":
            values["hour"] = int(raw) % (24 if letter == "k" else 12)
        elif letter == "D":
            yday = int(raw)
        elif letter == "S":
            values["microsecond"] = int(raw.ljust(6, "0")[:6])
        elif letter == "n":
            values["microsecond"] = int(raw) // 1000
        elif letter in "aB":
            pm = raw.lower() == "pm"
        elif letter in "XxZOVzv":
            tz = zone(raw)
    if pm is not None and values["hour"] < 12 and pm:
        values["hour"] += 12
    try:
        result = datetime(tzinfo=tz, **values)
    except ValueError as e:
        raise ExpressionError(f"Date {text!r} is not valid: {e}") from None
    if yday is not None:
        result = result.replace(month=1, day=1) + timedelta(days=yday - 1)
    return result


def _month(name: str) -> int:
    for i, month in enumerate(MONTHS):
        if month.lower().startswith(name.lower()[:3]):
            return i + 1
    raise ExpressionError(f"Unknown month name {name!r}")
