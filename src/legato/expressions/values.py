"""How values print, compare and convert, following Kestra (Jackson JSON, Java number formatting)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from legato.expressions import limits
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


def plain(value: Any, max_chars: int | None = None) -> Any:
    """A JSON-ready copy: maps to dicts, sequences to lists, datetimes to ISO text.

    Parts shared by reference are copied once, and the length of the text the value would print as is
    counted (as if expanded) against `max_chars` (the default output limit when None): a value built by
    doubling (`{% set m = [m, m] %}` forty times) is refused at once instead of expanding without end."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return _plain(value)
    try:
        return _plain_tree(value, set())  # the common case, a tree: as fast as a plain copy
    except _Shared:
        return _Printer(limits.default_limits().max_output_chars if max_chars is None else max_chars).copy(value)[0]


class _Shared(Exception):
    """A container met twice while copying: the value shares parts, and needs the sized copy."""


_LEAVES = frozenset({str, int, bool, type(None)})  # copied as they are (bool is not an int subclass here: exact types)


def _plain_tree(value: Any, seen: set[int]) -> Any:
    t = type(value)
    if t in _LEAVES:
        return value
    if t is dict:  # exact types first, items that are leaves inline: most of a document is leaves
        key = id(value)
        if key in seen:
            raise _Shared()
        seen.add(key)
        return {k if type(k) is str else str(k): v if type(v) in _LEAVES else _plain_tree(v, seen)
                for k, v in value.items()}
    if t is list:
        key = id(value)
        if key in seen:
            raise _Shared()
        seen.add(key)
        return [v if type(v) in _LEAVES else _plain_tree(v, seen) for v in value]
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        key = id(value)
        if key in seen:
            raise _Shared()
        seen.add(key)
        if isinstance(value, Mapping):
            return {str(k) if not isinstance(k, str) else k: _plain_tree(v, seen) for k, v in value.items()}
        return [_plain_tree(v, seen) for v in value]
    return _plain(value)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else java_double(value)
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return iso_instant(value)
    return to_text(value)


class _Printer:
    """plain() under a render's limits: each copy with the length its JSON text would have at least."""

    __slots__ = ("max_chars", "memo")

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        # id of a container -> its copy and printed size: each distinct container is walked once, so the
        # work is bounded by what exists in memory however much sharing would expand it
        self.memo: dict[int, tuple[Any, int]] = {}

    def copy(self, value: Any) -> tuple[Any, int]:
        if value is None:
            return None, 4
        t = type(value)
        if t is str:
            return value, len(value) + 2
        if t is bool:
            return value, 5
        if t is int:
            return value, 1 + value.bit_length() * 3 // 10
        if isinstance(value, (Mapping, list, tuple, set, frozenset)):
            known = self.memo.get(id(value))
            return known if known is not None else self._container(value)
        if isinstance(value, float):
            return (value if math.isfinite(value) else java_double(value)), 8
        if isinstance(value, datetime):
            return iso_instant(value), 26
        text = to_text(value)
        return text, len(text) + 2

    def _container(self, value: Any) -> tuple[Any, int]:
        size = 2
        out: Any
        if isinstance(value, Mapping):
            out = {}
            for k, v in value.items():
                key = k if isinstance(k, str) else str(k)
                out[key], n = self.copy(v)
                size += n + len(key) + 4
        else:
            out = []
            for v in value:
                item, n = self.copy(v)
                out.append(item)
                size += n + 1
        if size > self.max_chars:
            raise limits.LimitExceeded("size", f"The value is too large to print: its text would exceed the "
                                               f"size limit of {self.max_chars:,} characters")
        self.memo[id(value)] = (out, size)
        return out, size


def to_json(value: Any, pretty: bool = False, max_chars: int | None = None) -> str:
    """Compact JSON as Jackson writes it (no spaces), or indented with 2 spaces (see plain() for max_chars)."""
    data = plain(value, max_chars)
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
    if isinstance(a, (Mapping, list, tuple)) and isinstance(b, (Mapping, list, tuple)):
        return _equal_collections(a, b, {})
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    try:
        return bool(a == b)
    except Exception:  # a foreign object whose __eq__ fails is simply not equal
        return False


def _equal_collections(a: Any, b: Any, memo: dict[tuple[int, int], bool]) -> bool:
    """Deep equality where each pair of containers is compared once: values that share parts by reference
    (built by doubling) compare in time proportional to what exists, not to what they would expand to."""
    if a is b:
        return True
    key = (id(a), id(b))
    known = memo.get(key)
    if known is not None:
        return known
    memo[key] = True  # provisional: a pair met again while being compared is not where they differ
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        same = len(a) == len(b) and all(k in b and _equal_items(v, b[k], memo) for k, v in a.items())
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        same = len(a) == len(b) and all(_equal_items(x, y, memo) for x, y in zip(a, b, strict=True))
    else:
        same = False
    memo[key] = same
    return same


def _equal_items(a: Any, b: Any, memo: dict[tuple[int, int], bool]) -> bool:
    if isinstance(a, (Mapping, list, tuple)) and isinstance(b, (Mapping, list, tuple)):
        return _equal_collections(a, b, memo)
    return equals(a, b)


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
