"""How values print, compare and convert, following Kestra (Jackson JSON, Java number formatting)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from legato.expressions.errors import ExpressionError


class _Undefined:
    """What a lenient lookup (inside `??`, `is defined`, `default`) yields for a missing name."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def java_double(x: float) -> str:
    """Java's Double.toString: 1.0, 0.001, 1.0E7, 1.0E-4, NaN, Infinity."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    if 1e-3 <= abs(x) < 1e7:
        return repr(x)  # shortest round-trip digits, as Java; always has a '.' in this range
    sign, digits, exp = Decimal(repr(x)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    exponent = len(digits) - 1 + int(exp)
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{exponent}"


def iso_instant(d: datetime) -> str:
    """Java's Instant/ZonedDateTime toString shape: fraction in groups of 3, 'Z' for UTC."""
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    base = f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}"
    us = d.microsecond
    if us:
        base += f".{us // 1000:03d}" if us % 1000 == 0 else f".{us:06d}"
    offset = d.utcoffset() or timedelta(0)
    if offset == timedelta(0):
        return base + "Z"
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total) // 60, 60)
    return f"{base}{sign}{hours:02d}:{minutes:02d}"


def to_text(value: Any) -> str:
    """What `{{ value }}` prints."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, (Mapping, list, tuple)):
        return to_json(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, _Undefined):
        return ""
    return str(value)


def plain(value: Any) -> Any:
    """A JSON-ready copy: maps to dicts, sequences to lists, datetimes to ISO text."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else java_double(value)
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return iso_instant(value)
    return to_text(value)


def to_json(value: Any, pretty: bool = False) -> str:
    """Compact JSON as Jackson writes it (no spaces), or indented with 2 spaces."""
    data = plain(value)
    if pretty:
        return json.dumps(data, ensure_ascii=False, indent=2)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def truthy(value: Any) -> bool:
    """Kestra's truthiness of a rendered condition."""
    if value is None or value is False or value is UNDEFINED:
        return False
    if value is True:
        return True
    if isinstance(value, str):
        s = value.strip()
        return not (s == "" or s.lower() == "false" or s == "0")
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, (Mapping, Sequence, set, frozenset)):
        return len(value) > 0
    return True


def is_empty(value: Any) -> bool:
    """Pebble's `empty`: null, blank text, empty collection."""
    if value is None or value is UNDEFINED:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, (Mapping, Sequence, set, frozenset)):
        return len(value) == 0
    return False


def type_name(value: Any) -> str:
    """User-facing type names, in Kestra's vocabulary."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, datetime):
        return "datetime"
    return "object"


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_long(value: int) -> int:
    if LONG_MIN <= value <= LONG_MAX:
        return value
    raise ExpressionError("Integer overflow: the result does not fit in 64 bits")


def equals(a: Any, b: Any) -> bool:
    """Pebble equality: numbers compare by value, bool is not a number, otherwise Python equality."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return dict(a.items()) == dict(b.items())
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(equals(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except Exception:  # a foreign object whose __eq__ fails is simply not equal
        return False


def compare(op: str, a: Any, b: Any) -> bool:
    """Ordering between two numbers, two strings or two datetimes."""
    same_kind = (is_number(a) and is_number(b)) or (isinstance(a, str) and isinstance(b, str)) or (
        isinstance(a, datetime) and isinstance(b, datetime))
    if not same_kind:
        raise ExpressionError(f"Cannot compare {type_name(a)} and {type_name(b)} with '{op}'")
    if op == "<":
        return bool(a < b)
    if op == ">":
        return bool(a > b)
    if op == "<=":
        return bool(a <= b)
    return bool(a >= b)
