"""Cron expressions as Kestra's Schedule accepts them: 5 fields (6 with seconds first), or a macro.

The one cron parser: `parse_cron` checks syntax and ranges and builds a `CronSpec` (the values of each field);
computing fire times from it belongs to the scheduler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]
    specials: str  # extra syntax this field allows: '?', 'L', 'W', '#'


_SECOND = _Field("second", 0, 59, {}, "")
_FIELDS = (
    _Field("minute", 0, 59, {}, ""),
    _Field("hour", 0, 23, {}, ""),
    _Field("day-of-month", 1, 31, {}, "?LW"),
    _Field("month", 1, 12, _MONTHS, ""),
    _Field("day-of-week", 0, 7, _DAYS, "?L#"),
)


def _value(text: str, field: _Field) -> int:
    number = field.names.get(text.upper())
    if number is None:
        if not text.isdigit():
            raise ValueError(f"{field.name} value '{text}' is not a number" + (" or a name" if field.names else ""))
        number = int(text)
    if not field.low <= number <= field.high:
        raise ValueError(f"{field.name} value {number} is out of range {field.low}-{field.high}")
    return number


def _special(part: str, field: _Field) -> bool:
    """True when `part` is one of the Quartz-style forms the field allows (?, L, nL, nW, LW, n#k)."""
    upper = part.upper()
    if upper == "?" and "?" in field.specials:
        return True
    if "L" in field.specials and (upper == "L" or (field.name == "day-of-month" and upper == "LW")):
        return True
    if "W" in field.specials and re.fullmatch(r"\d+W", upper):
        _value(upper[:-1], field)
        return True
    if field.name == "day-of-week" and re.fullmatch(r"\w+L", upper):
        _value(upper[:-1], field)
        return True
    if "#" in field.specials and re.fullmatch(r"\w+#\d", upper):
        day, nth = upper.split("#")
        _value(day, field)
        if not 1 <= int(nth) <= 5:
            raise ValueError(f"{field.name} occurrence #{nth} is out of range 1-5")
        return True
    return False


def _part(part: str, field: _Field) -> set[int]:
    """The values of one comma-separated item (*, n, a-b, with an optional /step); the Quartz forms give none
    here (the day fields read them in `_day_spec`)."""
    if not part:
        raise ValueError(f"empty value in the {field.name} field")
    if _special(part, field):
        return set()
    base, _, step = part.partition("/")
    if step and (not step.isdigit() or int(step) == 0):
        raise ValueError(f"{field.name} step '{step}' must be a positive number")
    every = int(step) if step else 1
    if base == "*":
        return set(range(field.low, field.high + 1, every))
    low_text, dash, high_text = base.partition("-")
    low = _value(low_text, field)
    high = low
    if dash:
        high = _value(high_text, field)
        if high < low:
            raise ValueError(f"{field.name} range {base} goes backwards")
    elif step:
        high = field.high
    return set(range(low, high + 1, every))


@dataclass(frozen=True)
class DaySpec:
    """Day-of-month and day-of-week parts; the days they match depend on the month (L, W and #)."""

    dom: frozenset[int]
    dom_last: bool  # L
    dom_last_weekday: bool  # LW
    dom_nearest_weekday: frozenset[int]  # nW
    dom_any: bool
    dow: frozenset[int]  # 0 = Sunday
    dow_last: frozenset[int]  # nL: last n-day of the month
    dow_nth: frozenset[tuple[int, int]]  # n#k: k-th n-day of the month
    dow_any: bool


@dataclass(frozen=True)
class CronSpec:
    """A parsed cron expression: the values each field matches (a 5-field expression fires at second 0)."""

    expression: str  # as written
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: frozenset[int]
    days: DaySpec


def _day_spec(dom_text: str, dom: set[int], dow_text: str, dow: set[int]) -> DaySpec:
    """The day fields' Quartz forms read next to their plain values (already checked by `_part`)."""
    nearest: set[int] = set()
    last = last_weekday = False
    for part in dom_text.upper().split(","):
        if part == "L":
            last = True
        elif part == "LW":
            last_weekday = True
        elif part.endswith("W"):
            nearest.add(int(part[:-1]))
    dow_last: set[int] = set()
    nth: set[tuple[int, int]] = set()
    days = {v % 7 for v in dow}
    for part in dow_text.upper().split(","):
        if part == "L":
            days.add(6)  # Quartz: L alone in day-of-week is Saturday
        elif "#" in part:
            day, k = part.split("#")
            nth.add((_value(day, _FIELDS[4]) % 7, int(k)))
        elif part.endswith("L"):
            dow_last.add(_value(part[:-1], _FIELDS[4]) % 7)
    return DaySpec(
        dom=frozenset(dom), dom_last=last, dom_last_weekday=last_weekday, dom_nearest_weekday=frozenset(nearest),
        dom_any=dom_text in ("*", "?"), dow=frozenset(days), dow_last=frozenset(dow_last), dow_nth=frozenset(nth),
        dow_any=dow_text in ("*", "?"),
    )


def parse_cron(expression: str, *, with_seconds: bool = False) -> CronSpec:
    """The expression's CronSpec, or ValueError saying what is wrong with it (a macro has no seconds field)."""
    text = expression.strip()
    if text.startswith("@"):
        expanded = MACROS.get(text.lower())
        if expanded is None:
            raise ValueError(f"invalid cron expression '{expression}': unknown macro (use one of {', '.join(MACROS)})")
        text, with_seconds = expanded, False
    fields = (_SECOND, *_FIELDS) if with_seconds else _FIELDS
    parts = text.split()
    if len(parts) != len(fields):
        hint = "; for a seconds field set withSeconds: true" if len(parts) == 6 and not with_seconds else ""
        raise ValueError(
            f"invalid cron expression '{expression}': expected {len(fields)} fields "
            f"({' '.join(f.name for f in fields)}), got {len(parts)}{hint}"
        )
    values: list[set[int]] = []
    for part, field in zip(parts, fields, strict=True):
        try:
            values.append(set().union(*(_part(item, field) for item in part.split(","))))
        except ValueError as exc:
            raise ValueError(f"invalid cron expression '{expression}': {exc}") from None
    if not with_seconds:
        parts, values = ["0", *parts], [{0}, *values]
    second, minute, hour, dom, month, dow = values
    return CronSpec(expression=expression, seconds=tuple(sorted(second)), minutes=tuple(sorted(minute)),
                    hours=tuple(sorted(hour)), months=frozenset(month), days=_day_spec(parts[3], dom, parts[5], dow))


def validate_cron(expression: str, *, with_seconds: bool = False) -> str:
    """Return the expression (macros expanded) or raise ValueError saying what is wrong with it."""
    parse_cron(expression, with_seconds=with_seconds)
    text = expression.strip()
    return MACROS[text.lower()] if text.startswith("@") else text
