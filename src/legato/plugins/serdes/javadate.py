"""Kestra's date, time and datetime format properties are Java DateTimeFormatter patterns
(`yyyy-MM-dd'T'HH:mm:ss.SSS[XXX]`); this formats Python values with them. Supported letters: y, M (MM, MMM,
MMMM), d, H, h, m, s, S (fractions), a, E, X/x (offsets), 'quoted' text and [optional] sections, which are
kept only when the value has what they print (an offset for an aware value, for instance)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"'([^']*)'|\[|\]|([a-zA-Z])\2*|.")


def _offset(value: Any, width: int, zulu: bool) -> str | None:
    delta: timedelta | None = value.utcoffset() if hasattr(value, "utcoffset") else None
    if delta is None:
        return None
    if zulu and delta == timedelta(0):
        return "Z"
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}" + (
        "" if width == 1 and not minutes else (":" if width >= 3 else "") + f"{minutes:02d}"
    )


def _get(value: Any, name: str) -> Any:
    return getattr(value, name, None)


def _field(value: Any, letter: str, width: int) -> str | None:
    if letter in "yu" and _get(value, "year") is not None:
        return f"{value.year % 100:02d}" if width == 2 else f"{value.year:0{width}d}"
    if letter == "M" and _get(value, "month") is not None:
        return value.strftime("%B" if width >= 4 else "%b") if width >= 3 else f"{value.month:0{width}d}"
    if letter == "d" and _get(value, "day") is not None:
        return f"{value.day:0{width}d}"
    if letter == "E" and isinstance(value, date):
        return value.strftime("%A" if width >= 4 else "%a")
    if letter in "Hk" and _get(value, "hour") is not None:
        return f"{value.hour:0{width}d}"
    if letter == "h" and _get(value, "hour") is not None:
        return f"{(value.hour % 12) or 12:0{width}d}"
    if letter == "a" and _get(value, "hour") is not None:
        return "AM" if value.hour < 12 else "PM"
    if letter == "m" and _get(value, "minute") is not None:
        return f"{value.minute:0{width}d}"
    if letter == "s" and _get(value, "second") is not None:
        return f"{value.second:0{width}d}"
    if letter in "Sn" and _get(value, "microsecond") is not None:
        return f"{value.microsecond:06d}{'0' * max(0, width - 6)}"[:width]
    if letter in "Xx":
        return _offset(value, width, letter == "X")
    return None


@lru_cache(maxsize=64)
def _tokens(pattern: str) -> list[tuple[str, str, int]]:
    out = []
    for found in _TOKEN.finditer(pattern):
        text = found.group()
        if found.group(1) is not None:
            out.append(("text", found.group(1) or "'", 0))
        elif text in "[]":
            out.append((text, text, 0))
        elif found.group(2):
            out.append(("field", found.group(2), len(text)))
        else:
            out.append(("text", text, 0))
    return out


def format_value(value: date | time | datetime, pattern: str) -> str:
    """`value` formatted with the Java pattern; ValueError when a required field is missing."""
    stack: list[list[str]] = [[]]
    failed: list[bool] = [False]
    for kind, text, width in _tokens(pattern):
        if kind == "[":
            stack.append([])
            failed.append(False)
        elif kind == "]" and len(stack) > 1:
            part, bad = stack.pop(), failed.pop()
            if not bad:
                stack[-1].extend(part)
        elif kind == "field":
            printed = _field(value, text, width)
            if printed is None:
                if len(stack) == 1:
                    raise ValueError(
                        f"the format {pattern!r} needs '{text}', which a {type(value).__name__} lacks"
                    )
                failed[-1] = True
            else:
                stack[-1].append(printed)
        else:
            stack[-1].append(text)
    return "".join(stack[0])
