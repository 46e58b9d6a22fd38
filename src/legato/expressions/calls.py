"""Dispatch of filters, tests and functions by name, turning Python failures into ExpressionErrors."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from legato.expressions import (
    filters_collections,
    filters_data,
    filters_dates,
    filters_text,
    functions,
    functions_v2,
)
from legato.expressions.errors import ExpressionError
from legato.expressions.limits import STR_BYTES, LimitExceeded, footprint
from legato.expressions.runtime import State
from legato.expressions.values import UNDEFINED, is_empty, is_number, type_name

FILTERS: dict[str, Callable[..., Any]] = {
    **filters_text.FILTERS, **filters_collections.FILTERS, **filters_data.FILTERS, **filters_dates.FILTERS,
}
FUNCTIONS: dict[str, Callable[..., Any]] = {
    **functions.FUNCTIONS, **filters_data.FUNCTIONS, **filters_dates.FUNCTIONS, **functions_v2.FUNCTIONS,
}


def _even(value: Any) -> bool:
    if not is_number(value):
        raise ExpressionError(f"Test 'even' needs a number, got {type_name(value)}")
    return bool(value % 2 == 0)


TESTS: dict[str, Callable[[Any], bool]] = {
    "defined": lambda v: v is not UNDEFINED and v is not None,
    "null": lambda v: v is None or v is UNDEFINED,
    "empty": is_empty,
    "even": _even,
    "odd": lambda v: not _even(v),
    "json": filters_data.t_json,
    "iterable": lambda v: isinstance(v, (list, tuple, Mapping)),
    "map": lambda v: isinstance(v, Mapping),
}
_BAD_KW = re.compile(r"unexpected keyword argument '(\w+)'")
_MISSING = re.compile(r"missing \d+ required positional arguments?: (.*)")


def _failure(kind: str, name: str, e: Exception) -> ExpressionError:
    text = str(e)
    if isinstance(e, TypeError):
        if m := _BAD_KW.search(text):
            return ExpressionError(f"{kind} '{name}' has no argument named '{m.group(1)}'")
        if m := _MISSING.search(text):
            return ExpressionError(f"{kind} '{name}' is missing argument(s) {m.group(1)}")
        if "positional argument" in text:
            return ExpressionError(f"{kind} '{name}' was given too many arguments")
    if isinstance(e, RecursionError):
        return LimitExceeded("depth", f"{kind} '{name}' nested deeper than the depth limit of the interpreter's stack")
    if isinstance(e, MemoryError):
        return LimitExceeded("memory", f"{kind} '{name}' needs more memory than the process may use (memory limit)")
    return ExpressionError(f"{kind} '{name}' failed: {type(e).__name__}: {text}")


def call_filter(st: State, name: str, value: Any, args: Any, kwargs: dict[str, Any]) -> Any:
    fn = FILTERS.get(name)
    if fn is None:
        raise ExpressionError(f"Unknown filter '{name}'")
    try:
        if st.masker is not None and name in SECRET_AWARE and isinstance(value, str) \
                and st.masker.holds_placeholder(value):
            return _on_secret(st, fn, value, args, kwargs)
        result = fn(st, value, *args, **kwargs)
        if type(result) is str and result is not value:  # charged() inlined: the hot path of most filters
            n = len(result)
            st.memory += STR_BYTES + n
            if n > st.max_chars or st.memory > 0:
                st.check_chars(n)
                st.charge(0)
            return result
        return charged(st, result, value)
    except ExpressionError:
        raise
    except Exception as e:  # any failure inside a filter is the template's problem, reported as such
        raise _failure("Filter", name, e) from None


# Text-to-text filters that may be applied to a secret: they work on the real value, and their
# result becomes a secret of its own (so `secret('pw') | base64encode` is usable and still masked).
SECRET_AWARE = frozenset({
    "base64encode", "base64decode", "urlencode", "urldecode", "upper", "lower", "trim", "capitalize",
    "title", "md5", "sha1", "sha256", "sha512", "escapeChar", "escape", "replace", "substringBefore",
    "substringAfter", "substringBeforeLast", "substringAfterLast", "abbreviate", "slugify", "indent",
    "nindent", "string", "toJson", "json",
})


# Functions that parse a secret (`json(secret('creds')).user`): they work on the real value, and each text of
# their result becomes a secret of its own.
SECRET_AWARE_FUNCTIONS = frozenset({"json", "fromJson"})


def _secret_call(st: State, name: str, fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    """`secret()` gives a placeholder when the render has a Masker; a secret-aware function sees real values."""
    if name == "secret":
        return _placeholders(st, fn(*args, **kwargs))
    held = [a for a in args if isinstance(a, str) and st.masker.holds_placeholder(a)]
    if not held:
        return fn(*args, **kwargs)
    revealed = [st.masker.reveal(a) if isinstance(a, str) else a for a in args]
    return _placeholders(st, fn(*revealed, **kwargs))


def _placeholders(st: State, value: Any) -> Any:
    if isinstance(value, str):  # a function that issues placeholders itself keeps its own
        return value if st.masker.holds_placeholder(value) else st.masker.placeholder(value)
    if isinstance(value, dict):
        return {k: _placeholders(st, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(st, v) for v in value]
    return value


def _on_secret(st: State, fn: Callable[..., Any], value: str, args: Any, kwargs: dict[str, Any]) -> Any:
    result = fn(st, st.masker.reveal(value), *args, **kwargs)
    return st.masker.placeholder(result) if isinstance(result, str) else result


def charged(st: State, result: Any, value: Any) -> Any:
    """`result` after checking its size and charging it to the render's memory budget (unless it is the
    value the filter was given: a pass-through costs nothing)."""
    t = type(result)
    if t is str:  # the common case, inlined
        if result is not value:
            n = len(result)
            st.memory += STR_BYTES + n
            if n > st.max_chars or st.memory > 0:
                st.check_chars(n)
                st.charge(0)
        return result
    if result is value or not (t is list or t is dict or t is tuple):
        return result
    if t is not dict:
        st.check_items(len(result), "list")
    st.charge(footprint(result))
    return result


def run_test(name: str, value: Any, args: list[Any]) -> bool:
    fn = TESTS.get(name)
    if fn is None:
        raise ExpressionError(f"Unknown test '{name}' (use one of: {', '.join(TESTS)})")
    if args:
        raise ExpressionError(f"Test '{name}' takes no arguments")
    return fn(value)


def call_function(st: State, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    st.tick()
    macro = st.macros.get(name)
    if macro is not None:
        return macro(st, args, kwargs)
    injected = st.functions.get(name)
    builtin = FUNCTIONS.get(name) if injected is None else None
    if injected is None and builtin is None:
        if name in functions.INJECTED:
            raise ExpressionError(f"function '{name}' is not available here")
        raise ExpressionError(f"Unknown function '{name}'")
    try:
        if injected is not None:
            if st.masker is not None and (name == "secret" or name in SECRET_AWARE_FUNCTIONS):
                return charged(st, _secret_call(st, name, injected, args, kwargs), None)
            return charged(st, injected(*args, **kwargs), None)
        if st.masker is not None and name in SECRET_AWARE_FUNCTIONS:
            assert builtin is not None
            return charged(st, _secret_call(st, name, lambda *a, **k: builtin(st, *a, **k), args, kwargs), None)
        assert builtin is not None
        return charged(st, builtin(st, *args, **kwargs), None)
    except ExpressionError:
        raise
    except Exception as e:  # an injected or built-in function failing is reported, never a traceback
        raise _failure("Function", name, e) from None
