"""Cron expressions as Kestra's Schedule accepts them: 5 fields (6 with seconds first), or a macro.

Only syntax and ranges are checked here; computing fire times belongs to the scheduler.
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


def _part(part: str, field: _Field) -> None:
    if not part:
        raise ValueError(f"empty value in the {field.name} field")
    if _special(part, field):
        return
    base, _, step = part.partition("/")
    if step and (not step.isdigit() or int(step) == 0):
        raise ValueError(f"{field.name} step '{step}' must be a positive number")
    if base == "*":
        return
    low_text, dash, high_text = base.partition("-")
    low = _value(low_text, field)
    if dash:
        high = _value(high_text, field)
        if high < low:
            raise ValueError(f"{field.name} range {base} goes backwards")


def validate_cron(expression: str, *, with_seconds: bool = False) -> str:
    """Return the expression (macros expanded) or raise ValueError saying what is wrong with it."""
    text = expression.strip()
    if text.startswith("@"):
        expanded = MACROS.get(text.lower())
        if expanded is None:
            raise ValueError(f"invalid cron expression '{expression}': unknown macro (use one of {', '.join(MACROS)})")
        return expanded
    fields = (_SECOND, *_FIELDS) if with_seconds else _FIELDS
    parts = text.split()
    if len(parts) != len(fields):
        hint = "; for a seconds field set withSeconds: true" if len(parts) == 6 and not with_seconds else ""
        raise ValueError(
            f"invalid cron expression '{expression}': expected {len(fields)} fields "
            f"({' '.join(f.name for f in fields)}), got {len(parts)}{hint}"
        )
    for part, field in zip(parts, fields, strict=True):
        try:
            for item in part.split(","):
                _part(item, field)
        except ValueError as exc:
            raise ValueError(f"invalid cron expression '{expression}': {exc}") from None
    return text
