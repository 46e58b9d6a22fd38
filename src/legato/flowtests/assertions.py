"""The 13 assertion operators of Kestra's unit tests, applied to a rendered value. Values compare as their
types when they can (numbers as numbers, lists as lists) and as their text otherwise, so `equalTo: 200`
holds for an output of `"200"` and `equalTo: "[A, B]"` for the text a template renders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from legato.expressions import to_text


@dataclass(frozen=True)
class AssertionResult:
    """One operator of one assertion, checked (Kestra's AssertionResult)."""

    operator: str
    expected: Any
    actual: Any
    isSuccess: bool
    description: str | None = None
    errorMessage: str | None = None
    taskId: str | None = None

    def message(self) -> str:
        """What a failed check says: the assertion's own message, else expected versus actual."""
        own = f"{self.errorMessage}: " if self.errorMessage else ""
        if self.operator in ("isNull", "isNotNull"):
            null = (self.operator == "isNull") == bool(self.expected)
            return f"{own}expected {_show(self.actual)} {'to be null' if null else 'not to be null'}"
        return f"{own}expected {_show(self.actual)} {_PHRASES[self.operator]} {_show(self.expected)}"


def check(operator: str, actual: Any, expected: Any) -> bool:
    """Whether `actual` satisfies `operator` with `expected`."""
    return _CHECKS[operator](actual, expected)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else to_text(value)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _same(actual: Any, expected: Any) -> bool:
    if actual == expected and type(actual) is type(expected):
        return True
    a, e = _number(actual), _number(expected)
    if a is not None and e is not None:
        return a == e
    if actual is None or expected is None:
        return actual is None and expected is None
    return _text(actual) == _text(expected)


def _compare(actual: Any, expected: Any) -> int | None:
    """-1, 0 or 1 as actual is below, equal to or above expected; None when they do not compare."""
    a, e = _number(actual), _number(expected)
    if a is not None and e is not None:
        return (a > e) - (a < e)
    if isinstance(actual, datetime | date | str) and isinstance(expected, datetime | date | str):
        x, y = _text(actual), _text(expected)  # ISO dates compare as text
        return (x > y) - (x < y)
    return None


def _ordered(test: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def run(actual: Any, expected: Any) -> bool:
        order = _compare(actual, expected)
        return order is not None and test(order)
    return run


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list | tuple | set):
        return any(_same(item, expected) for item in actual)
    if isinstance(actual, dict):
        return any(_same(key, expected) for key in actual)
    return actual is not None and _text(expected) in _text(actual)


def _among(actual: Any, expected: Any) -> bool:
    items = expected if isinstance(expected, list | tuple) else [expected]
    return any(_same(actual, item) for item in items)


_CHECKS: dict[str, Callable[[Any, Any], bool]] = {
    "isNotNull": lambda a, e: (a is not None) == bool(e),
    "isNull": lambda a, e: (a is None) == bool(e),
    "equalTo": _same,
    "notEqualTo": lambda a, e: not _same(a, e),
    "endsWith": lambda a, e: a is not None and _text(a).endswith(_text(e)),
    "startsWith": lambda a, e: a is not None and _text(a).startswith(_text(e)),
    "contains": _contains,
    "greaterThan": _ordered(lambda o: o > 0),
    "greaterThanOrEqualTo": _ordered(lambda o: o >= 0),
    "lessThan": _ordered(lambda o: o < 0),
    "lessThanOrEqualTo": _ordered(lambda o: o <= 0),
    "in": _among,
    "notIn": lambda a, e: not _among(a, e),
}
_PHRASES = {
    "equalTo": "to equal", "notEqualTo": "not to equal",
    "endsWith": "to end with", "startsWith": "to start with", "contains": "to contain",
    "greaterThan": "to be greater than", "greaterThanOrEqualTo": "to be greater than or equal to",
    "lessThan": "to be less than", "lessThanOrEqualTo": "to be less than or equal to", "in": "to be in",
    "notIn": "not to be in",
}


def _show(value: Any) -> str:
    if value is None:
        return "null"
    text = repr(value) if isinstance(value, str) else _text(value)
    return text if len(text) <= 200 else text[:197] + "..."
