"""Database values as task outputs: JSON-safe data, as Kestra's cell converters give them.

Dates and times become ISO-8601 text (a timestamp without zone takes `timeZoneId` when set), exact decimals
numbers, durations ISO-8601 durations, bytes base64 text, UUIDs, network addresses and other objects their
text; arrays lists and JSON documents maps.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from legato.model.durations import format_duration


def zone(name: str | None) -> dt.tzinfo | None:
    """The time zone `timeZoneId` names; ValueError with the name when it is unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timeZoneId {name!r} is not a known time zone (e.g. Europe/Paris, UTC)") from None


def jsonable(value: Any, tz: dt.tzinfo | None = None) -> Any:
    """One database value as JSON-safe data."""
    match value:
        case None | bool() | int() | float() | str():
            return value
        case Decimal():
            return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
        case dt.datetime():
            if tz is not None:
                value = value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)
            return value.isoformat()
        case dt.date() | dt.time():
            return value.isoformat()
        case dt.timedelta():
            return format_duration(value)
        case bytes() | bytearray() | memoryview():
            return base64.b64encode(bytes(value)).decode()
        case uuid.UUID():
            return str(value)
        case list() | tuple():
            return [jsonable(v, tz) for v in value]
        case dict():
            return {str(k): jsonable(v, tz) for k, v in value.items()}
    return str(value)


def column_names(description: Sequence[Any]) -> list[str]:
    """Column labels of a cursor; a repeated label gets its position appended so no value is lost."""
    names: list[str] = []
    for column in description:
        name = str(column[0])
        names.append(name if name not in names else f"{name}_{len(names)}")
    return names


_SIMPLE = (str, int, float, bool, type(None))


def row_map(columns: list[str], values: Sequence[Any], tz: dt.tzinfo | None) -> dict[str, Any]:
    """One row as a map of column label to JSON-safe value."""
    return {c: v if type(v) in _SIMPLE else jsonable(v, tz) for c, v in zip(columns, values, strict=True)}
