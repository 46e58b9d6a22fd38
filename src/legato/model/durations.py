"""ISO-8601 durations as Kestra writes them (PT30S, PT5M, PT1H, P1D, P1DT2H, P2W), with errors a user can act on."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, TypeAlias

from pydantic import BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

_ISO = re.compile(
    r"^(?P<sign>[-+]?)P(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$",
    re.IGNORECASE,
)
EXAMPLES = "PT30S, PT5M, PT1H, P1D"


def parse_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration (weeks, days, hours, minutes, seconds; no months or years, which vary in length).

    Raises ValueError naming the text when it is not one.
    """
    match = _ISO.match(text.strip())
    if match is None or text.strip().upper().endswith("T") or text.strip().upper() in ("P", "-P", "+P"):
        raise ValueError(f"'{text}' is not an ISO-8601 duration (examples: {EXAMPLES})")
    parts = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items() if v and k != "sign"}
    value = timedelta(**parts)
    return -value if match.group("sign") == "-" else value


def format_duration(value: timedelta) -> str:
    """The ISO-8601 text of `value` (PT1H30M, P1DT2H, PT0.5S)."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = f"{sign}P{int(days)}D" if days else f"{sign}P"
    clock = ""
    if hours:
        clock += f"{int(hours)}H"
    if minutes:
        clock += f"{int(minutes)}M"
    if seconds or (not days and not clock):
        clock += f"{seconds:g}S"
    return out + ("T" + clock if clock else "")


def _coerce(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise PydanticCustomError("duration", "expected an ISO-8601 duration ({examples}), got a boolean", {"examples": EXAMPLES})
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if isinstance(value, str):
        try:
            parsed = parse_duration(value)
        except ValueError as exc:
            raise PydanticCustomError("duration", "{reason}", {"reason": str(exc)}) from None
        if parsed < timedelta(0):
            raise PydanticCustomError("duration", "duration '{text}' must not be negative", {"text": value})
        return parsed
    raise PydanticCustomError(
        "duration", "expected an ISO-8601 duration ({examples}), got {got}", {"examples": EXAMPLES, "got": type(value).__name__}
    )


Duration: TypeAlias = Annotated[timedelta, BeforeValidator(_coerce, json_schema_input_type=timedelta | float)]
"""A non-negative duration written as ISO-8601 text (or a number of seconds)."""


DurationExpression: TypeAlias = Annotated[str, StringConstraints(pattern=r"\{\{|\{%")]
"""A duration given as an expression (`"{{ inputs.delay }}"`): rendered and checked when the task runs."""


def resolve(value: timedelta | str | None, render: Callable[[str], Any]) -> timedelta | None:
    """The duration `value` stands for, rendering it first when it is an expression. Raises ValueError saying
    what the expression gave when that is not a duration."""
    if value is None or isinstance(value, timedelta):
        return value
    rendered = render(value)
    if rendered is None or rendered == "":
        return None
    try:
        result: timedelta = _coerce(rendered)
    except PydanticCustomError as exc:
        raise ValueError(f"{value!r} gave {str(rendered)[:100]!r}: {exc.message()}") from None
    return result
