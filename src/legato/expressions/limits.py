"""The resource limits of one render, the error that names the one exceeded, and estimates of what values cost.

Every render runs under a wall-time deadline, an output size, a per-string/per-list size, nesting depths and a
memory budget. The memory budget counts the estimated bytes of every value the template builds (strings,
lists, maps, parsed documents, jq results), garbage included, so a loop that keeps rebuilding a big list is
stopped as surely as one big list. Values that come from the context (inputs, outputs) are not counted: they
exist already. The figures are estimates of CPython's object sizes, not measurements: cheap enough to take on
every filter call, and never below the real cost by more than a small factor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from legato.expressions.errors import ExpressionError

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one render; exceeding any of them raises LimitExceeded."""

    max_render_seconds: float = 2.0  # wall time of the whole render, nested render() and jq included
    max_output_chars: int = 10_000_000  # the output, and every single string the engine builds
    max_memory_bytes: int = 256 * MB  # estimated bytes of all values the render builds (see module doc)
    max_range_items: int = 100_000  # ranges, loops and generated lists
    max_render_depth: int = 10  # render() inside render()
    max_call_depth: int = 64  # macro recursion
    max_parse_depth: int = 100  # nesting of brackets and blocks
    max_template_chars: int = 1_000_000
    cache_size: int = 2_048  # parsed templates kept by text


class LimitExceeded(ExpressionError):
    """A render went past one of its limits. `limit` names it: time, output, size, memory, items or depth."""

    def __init__(self, limit: str, message: str, *, expression: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        self.limit = limit
        super().__init__(message, expression=expression, line=line, column=column)


_defaults = Limits()


def default_limits() -> Limits:
    """The limits a Renderer gets when it is given none (set once per process from the settings)."""
    return _defaults


def configure(limits: Limits | None = None, **changes: Any) -> Limits:
    """Set the process-wide default limits (from `Settings.expressions`); returns the previous ones."""
    global _defaults
    previous = _defaults
    _defaults = replace(limits or previous, **changes)
    return previous


# --- estimated costs ----------------------------------------------------------------------------------

STR_BYTES = 49  # an empty str object
LIST_BYTES, SLOT_BYTES = 56, 8
MAP_BYTES, ENTRY_BYTES = 64, 72  # a dict and each entry (hash, key, value and index share)
INT_BYTES = 32


def footprint(value: Any) -> int:
    """Estimated bytes of the outermost object of `value` (its items are counted where they were built)."""
    t = type(value)
    if t is str:
        return STR_BYTES + len(value)
    if t is list or t is tuple:
        return LIST_BYTES + SLOT_BYTES * len(value)
    if t is dict:
        return MAP_BYTES + ENTRY_BYTES * len(value)
    return INT_BYTES


def deep_footprint(value: Any, st: Any) -> int:
    """Estimated bytes of `value` and everything in it (shared parts once), ticking `st`'s deadline."""
    seen: set[int] = set()
    stack, total, steps = [value], 0, 0
    while stack:
        item = stack.pop()
        total += footprint(item)
        steps += 1
        if not steps & 0xFFF:
            st.tick()
        if isinstance(item, (list, tuple, Mapping)):
            if id(item) in seen:
                continue
            seen.add(id(item))
            stack.extend(item.values() if isinstance(item, Mapping) else item)
    return total
