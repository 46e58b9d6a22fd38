"""List, map and number filters."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from legato.expressions.errors import ExpressionError
from legato.expressions.limits import LIST_BYTES, SLOT_BYTES
from legato.expressions.runtime import State
from legato.expressions.values import compare, equals, is_empty, is_number, to_text, type_name


def seq(value: Any, name: str) -> list[Any] | tuple[Any, ...]:
    if isinstance(value, (list, tuple)):
        return value
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise ExpressionError(f"Filter '{name}' needs a list, got {type_name(value)}")


def f_abs(st: State, value: Any) -> Any:
    if not is_number(value):
        raise ExpressionError(f"Filter 'abs' needs a number, got {type_name(value)}")
    return abs(value)


def f_default(st: State, value: Any, default: Any = None) -> Any:
    return default if is_empty(value) else value


def f_first(st: State, value: Any) -> Any:
    if isinstance(value, str):
        return value[:1] or None
    if isinstance(value, Mapping):
        return next(iter(value.values()), None)
    items = seq(value, "first")
    return items[0] if items else None


def f_last(st: State, value: Any) -> Any:
    if isinstance(value, str):
        return value[-1:] or None
    if isinstance(value, Mapping):
        return list(value.values())[-1] if value else None
    items = seq(value, "last")
    return items[-1] if items else None


def f_join(st: State, value: Any, separator: str = "") -> Any:
    if value is None:
        return None
    parts = [to_text(v) for v in seq(value, "join")]
    st.check_chars(sum(map(len, parts)) + len(separator) * len(parts))
    return separator.join(parts)


def f_length(st: State, value: Any) -> Any:
    if value is None:
        return 0
    if isinstance(value, (str, Mapping, list, tuple, set, frozenset)):
        return len(value)
    raise ExpressionError(f"Filter 'length' needs a string, list or map, got {type_name(value)}")


def f_merge(st: State, value: Any, items: Any) -> Any:
    if isinstance(value, Mapping) and isinstance(items, Mapping):
        return {**value, **items}
    if isinstance(value, (list, tuple)):
        extra = list(items.items()) if isinstance(items, Mapping) else list(seq(items, "merge"))
        st.check_items(len(value) + len(extra), "list")
        return [*value, *extra]
    raise ExpressionError(f"Filter 'merge' cannot merge {type_name(items)} into {type_name(value)}")


def f_reverse(st: State, value: Any) -> Any:
    if isinstance(value, str):
        return value[::-1]
    return list(reversed(seq(value, "reverse")))


def _sorted(value: Any, name: str, reverse: bool) -> list[Any]:
    items = list(seq(value, name))
    for a, b in itertools.pairwise(items):
        compare("<", a, b)  # raises a clear error for mixed types before sorting
    return sorted(items, reverse=reverse)


def f_sort(st: State, value: Any) -> Any:
    return _sorted(value, "sort", False)


def f_rsort(st: State, value: Any) -> Any:
    return _sorted(value, "rsort", True)


def f_slice(st: State, value: Any, fromIndex: int = 0, toIndex: int | None = None) -> Any:
    if not isinstance(value, str):
        value = seq(value, "slice")
    end = len(value) if toIndex is None else toIndex
    if not (0 <= fromIndex <= end <= len(value)):
        raise ExpressionError(f"Filter 'slice': indexes {fromIndex}..{end} are outside 0..{len(value)}")
    part = value[fromIndex:end]
    return part if isinstance(part, str) else list(part)


def f_chunk(st: State, value: Any, size: int) -> Any:
    items = seq(value, "chunk")
    if type(size) is not int or size < 1:
        raise ExpressionError("Filter 'chunk' needs a positive integer size")
    chunks = -(-len(items) // size)
    st.charge(chunks * (LIST_BYTES + SLOT_BYTES * min(size, len(items))))  # the inner lists; the outer by the caller
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def f_keys(st: State, value: Any) -> Any:
    if isinstance(value, Mapping):
        return list(value.keys())
    raise ExpressionError(f"Filter 'keys' needs a map, got {type_name(value)}")


def f_values(st: State, value: Any) -> Any:
    if isinstance(value, Mapping):
        return list(value.values())
    raise ExpressionError(f"Filter 'values' needs a map, got {type_name(value)}")


def f_flatten(st: State, value: Any) -> Any:
    out: list[Any] = []
    for item in seq(value, "flatten"):
        if isinstance(item, (list, tuple)):
            out.extend(item)
        else:
            out.append(item)
    st.check_items(len(out), "list")
    return out


def f_distinct(st: State, value: Any) -> Any:
    out: list[Any] = []
    hashed: set[tuple[type, Any]] = set()
    for item in seq(value, "distinct"):
        st.tick()
        if type(item) in (str, int, bool):  # the common case, in constant time (1 and true stay distinct)
            key = (type(item), item)
            if key not in hashed:
                hashed.add(key)
                out.append(item)
        elif not any(equals(item, seen) for seen in out):
            out.append(item)
            if isinstance(item, float) and item.is_integer():
                hashed.add((int, int(item)))  # 2.0 then 2: one value, as equals() says
    return out


def f_number(st: State, value: Any, type: str | None = None) -> Any:
    if is_number(value):
        number: Any = value
    else:
        s = to_text(value).strip()
        try:
            number = int(s) if s.lstrip("+-").isdigit() else float(s)
        except ValueError:
            raise ExpressionError(f"Filter 'number': {s!r} is not a number") from None
    kind = (type or "").upper()
    if kind in ("INT", "INTEGER", "LONG", "BIGINTEGER"):
        return int(number)
    if kind in ("FLOAT", "DOUBLE", "BIGDECIMAL"):
        return float(number)
    if kind:
        raise ExpressionError(f"Filter 'number': unknown type {type!r}")
    return number


def f_class_name(st: State, value: Any) -> Any:
    names = {"null": None, "boolean": "java.lang.Boolean", "integer": "java.lang.Long",
             "number": "java.lang.Double", "string": "java.lang.String", "map": "java.util.LinkedHashMap",
             "list": "java.util.ArrayList", "datetime": "java.time.ZonedDateTime"}
    return names.get(type_name(value), "java.lang.Object")


_MAX_DIGITS = 400


def f_numberformat(st: State, value: Any, format: str = "#,##0.###") -> Any:
    """A subset of Java's DecimalFormat: grouping, 0/# digits, literal prefix/suffix, half-even rounding."""
    if not is_number(value):
        raise ExpressionError(f"Filter 'numberformat' needs a number, got {type_name(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        return to_text(value)
    start = next((i for i, c in enumerate(format) if c in "#0,."), len(format))
    end = len(format) - next((i for i, c in enumerate(reversed(format)) if c in "#0,."), 0)
    prefix, body, suffix = format[:start], format[start:end], format[end:]
    if len(body) > _MAX_DIGITS:  # Java's DecimalFormat keeps at most 340 fraction digits anyway
        raise ExpressionError(f"Filter 'numberformat': a format of more than {_MAX_DIGITS} digits")
    int_part, _, frac_part = body.partition(".")
    grouping = "," in int_part
    group_size = len(int_part) - int_part.rfind(",") - 1 if grouping else 0
    min_int = int_part.count("0")
    min_frac, max_frac = frac_part.count("0"), len(frac_part.replace(",", ""))
    if "%" in prefix + suffix:
        value = value * 100
    try:
        rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-max_frac), rounding=ROUND_HALF_EVEN)
    except InvalidOperation:
        raise ExpressionError("Filter 'numberformat': the number is too large") from None
    sign = "-" if rounded < 0 else ""
    digits = f"{abs(rounded):f}"
    whole, _, frac = digits.partition(".")
    frac = frac.rstrip("0").ljust(min_frac, "0")
    whole = whole.lstrip("0").rjust(min_int, "0")
    if grouping and group_size > 0:
        groups: list[str] = []
        while len(whole) > group_size:
            groups.insert(0, whole[-group_size:])
            whole = whole[:-group_size]
        whole = ",".join([whole, *groups]) if whole else ",".join(groups)
    return f"{sign}{prefix}{whole}{'.' + frac if frac else ''}{suffix}"


FILTERS: dict[str, Callable[..., Any]] = {
    "abs": f_abs, "default": f_default, "first": f_first, "last": f_last, "join": f_join,
    "length": f_length, "merge": f_merge, "reverse": f_reverse, "sort": f_sort, "rsort": f_rsort,
    "slice": f_slice, "chunk": f_chunk, "keys": f_keys, "values": f_values, "flatten": f_flatten,
    "distinct": f_distinct, "number": f_number, "className": f_class_name, "numberformat": f_numberformat,
}
