"""Per-render state and the operations the compiled closures share: lookups, arithmetic, bounds."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from legato.expressions.errors import ExpressionError, UndefinedError
from legato.expressions.limits import (
    INT_BYTES,
    LIST_BYTES,
    MB,
    SLOT_BYTES,
    STR_BYTES,
    LimitExceeded,
    Limits,
    footprint,
)
from legato.expressions.values import (
    UNDEFINED,
    check_long,
    equals,
    is_number,
    to_text,
    type_name,
)


class State:
    """Everything one render needs; created per top-level call, shared by nested render()."""

    __slots__ = ("call_depth", "context", "deadline", "engine", "functions", "limits", "locals",
                 "macros", "masker", "max_chars", "memory", "render_depth", "size", "source")

    def __init__(self, engine: Any, context: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]],
                 limits: Limits, source: str) -> None:
        self.engine = engine  # the Renderer, for render() and now()
        self.context = context
        self.functions = functions
        self.limits = limits
        self.locals: dict[str, Any] = {}
        self.macros: dict[str, Any] = {}
        self.deadline = time.monotonic() + limits.max_render_seconds
        self.size = 0
        self.max_chars = limits.max_output_chars
        self.memory = -limits.max_memory_bytes  # counts up to 0: one attribute to keep and compare
        self.render_depth = 0
        self.call_depth = 0
        self.source = source
        self.masker: Any = None  # a secrets.Masker when secrets may flow through this render

    def tick(self) -> None:
        """Raise if the render ran past its time budget; called in every loop iteration and call."""
        if time.monotonic() > self.deadline:
            raise LimitExceeded("time", f"Rendering took longer than the time limit of "
                                        f"{self.limits.max_render_seconds:g} s")

    def remaining(self) -> float:
        """Seconds left before the deadline (work handed to another process gets no more)."""
        return self.deadline - time.monotonic()

    def grow(self, n: int) -> None:
        """Account for `n` more characters of output."""
        self.size += n
        if self.size > self.max_chars:
            raise LimitExceeded("output", f"Rendered output exceeds the output limit of {self.max_chars:,} characters")

    def charge(self, n: int) -> None:
        """Account for `n` more (estimated) bytes of values built by the template."""
        self.memory += n
        if self.memory > 0:
            raise LimitExceeded("memory", f"The values this template builds need more than the memory limit of "
                                          f"{self.limits.max_memory_bytes // MB:,} MB")

    def check_items(self, n: int, what: str = "range") -> None:
        if n > self.limits.max_range_items:
            raise LimitExceeded("items", f"The {what} has {n:,} items, more than the item limit of "
                                         f"{self.limits.max_range_items:,}")

    def check_chars(self, n: int) -> None:
        if n > self.max_chars:
            raise LimitExceeded("size", f"A string of {n:,} characters exceeds the size limit of {self.max_chars:,}")


class Missing(Exception):
    """Internal signal: a key was absent; the caller turns it into UNDEFINED or an error."""


def lookup(obj: Any, key: Any) -> Any:
    """Key or index access on maps and lists only; never a Python attribute."""
    if isinstance(obj, Mapping):
        try:
            return obj[key]
        except (KeyError, TypeError):
            raise Missing() from None
    if isinstance(obj, (list, tuple)):
        if type(key) is int and 0 <= key < len(obj):
            return obj[key]
        if isinstance(key, str) and key.isdigit() and int(key) < len(obj):
            return obj[int(key)]
        raise Missing()
    raise Missing()


def undefined_error(path: str, obj: Any = UNDEFINED) -> ExpressionError:
    if obj is UNDEFINED or isinstance(obj, (Mapping, list, tuple)):
        return UndefinedError(f"Undefined variable '{path}'")
    if obj is None:
        return UndefinedError(f"Undefined variable '{path}': its parent is null")
    return ExpressionError(f"Cannot access '{path}': {type_name(obj)} values have no attributes")


def key_text(key: Any) -> str:
    return repr(key) if isinstance(key, str) else to_text(key)


# --- operators -----------------------------------------------------------------------------------


def add(st: State, a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        r = a + b
        return check_long(r) if type(r) is int else r
    if isinstance(a, str) or isinstance(b, str):
        return concat(st, a, b)
    if isinstance(a, (list, tuple)):
        extra = b if isinstance(b, (list, tuple)) else (b,)
        st.check_items(len(a) + len(extra), "list")
        st.charge(LIST_BYTES + SLOT_BYTES * (len(a) + len(extra)))
        return [*a, *extra]
    raise ExpressionError(f"Cannot add {type_name(a)} and {type_name(b)}")


def subtract(st: State, a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        r = a - b
        return check_long(r) if type(r) is int else r
    if isinstance(a, (list, tuple)):
        drop = list(b) if isinstance(b, (list, tuple)) else [b]
        out = []
        for x in a:
            st.tick()
            if not any(equals(x, y) for y in drop):
                out.append(x)
        st.charge(footprint(out))
        return out
    raise ExpressionError(f"Cannot subtract {type_name(b)} from {type_name(a)}")


def numbers(op: str, a: Any, b: Any) -> None:
    if not (is_number(a) and is_number(b)):
        raise ExpressionError(f"Operator '{op}' needs numbers, got {type_name(a)} and {type_name(b)}")


def multiply(a: Any, b: Any) -> Any:
    numbers("*", a, b)  # no string repetition: Pebble has none, and it is the classic memory bomb
    r = a * b
    return check_long(r) if type(r) is int else r


def divide(a: Any, b: Any) -> Any:
    numbers("/", a, b)
    if b == 0:
        if type(a) is int and type(b) is int:
            raise ExpressionError("Division by zero")
        return float("nan") if a == 0 else float("inf") if a > 0 else float("-inf")
    if type(a) is int and type(b) is int:
        q = abs(a) // abs(b)  # Java truncates toward zero
        return check_long(q if (a >= 0) == (b >= 0) else -q)
    return a / b


def modulo(a: Any, b: Any) -> Any:
    numbers("%", a, b)
    if b == 0:
        if type(a) is int and type(b) is int:
            raise ExpressionError("Division by zero")
        return float("nan")
    if type(a) is int and type(b) is int:
        r = abs(a) % abs(b)  # Java's remainder takes the sign of the dividend
        return r if a >= 0 else -r
    return math.fmod(a, b)


def concat(st: State, a: Any, b: Any) -> str:
    left, right = to_text(a), to_text(b)
    n = len(left) + len(right)
    st.check_chars(n)
    st.charge(STR_BYTES + n)
    return f"{left}{right}"


def contains(st: State, container: Any, item: Any) -> bool:
    """Pebble's `contains`: substring, map key, list element, or all elements of a list."""
    if container is None:
        return False
    if isinstance(container, str):
        return to_text(item) in container
    if isinstance(container, Mapping):
        if isinstance(item, (list, tuple)):
            return all(_has_key(container, k) for k in item)
        return _has_key(container, item)
    if isinstance(container, (list, tuple, set, frozenset)):
        if isinstance(item, (list, tuple)):
            return all(_holds(st, container, y) for y in item)
        return _holds(st, container, item)
    raise ExpressionError(f"'contains' needs a string, list or map on the left, got {type_name(container)}")


def _holds(st: State, container: Any, item: Any) -> bool:
    st.tick()  # a list against a list is quadratic: the deadline is checked once per item looked for
    return any(equals(x, item) for x in container)


def _has_key(m: Mapping[Any, Any], key: Any) -> bool:
    try:
        return key in m
    except TypeError:
        return False


def make_range(st: State, a: Any, b: Any, step: Any = 1) -> list[Any]:
    """Inclusive range of integers or single letters, as Pebble's `..` and range()."""
    if isinstance(a, str) and isinstance(b, str) and len(a) == 1 and len(b) == 1:
        return [chr(c) for c in make_range(st, ord(a), ord(b), step)]
    if isinstance(a, float) and a.is_integer():
        a = int(a)
    if isinstance(b, float) and b.is_integer():
        b = int(b)
    if type(a) is not int or type(b) is not int or type(step) is not int:
        raise ExpressionError(f"A range needs integers, got {type_name(a)} and {type_name(b)}")
    if step == 0:
        raise ExpressionError("A range step cannot be 0")
    count = max(0, (b - a) // step + 1)
    st.check_items(count)
    st.charge(LIST_BYTES + (SLOT_BYTES + INT_BYTES) * count)
    return list(range(a, b + (1 if step > 0 else -1), step))
