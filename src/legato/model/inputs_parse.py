"""Turning raw input values (text from the CLI or a form, or typed YAML/JSON values) into typed ones.

Each parser raises ValueError with a message that names the value and what was expected.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlparse

from legato.model.durations import parse_duration

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def show(value: Any) -> str:
    """A value as a message shows it: text quoted, everything else as written."""
    return f"'{value}'" if isinstance(value, str) else json.dumps(value, default=str)


def to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"  # Kestra takes any scalar for a STRING input (API clients send JSON)
    if value is None or isinstance(value, dict | list):
        raise ValueError(f"expected text, got {show(value)}")
    return str(value)


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{show(value)} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
        return int(value)
    raise ValueError(f"{show(value)} is not an integer")


def to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{show(value)} is not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    raise ValueError(f"{show(value)} is not a number")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{show(value)} is not a boolean (true or false)")


def to_datetime(value: Any) -> datetime:
    """An aware datetime; text without an offset is taken as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{show(value)} is not an ISO-8601 date-time such as 2024-01-31T10:00:00Z") from None
    else:
        raise ValueError(f"{show(value)} is not an ISO-8601 date-time such as 2024-01-31T10:00:00Z")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def to_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{show(value)} is not an ISO-8601 date such as 2024-01-31")


def to_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{show(value)} is not an ISO-8601 time such as 10:30:00")


def to_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        return parse_duration(value)
    raise ValueError(f"{show(value)} is not an ISO-8601 duration such as PT5M")


def to_json(value: Any) -> Any:
    """Text is parsed as JSON; an already structured value is taken as it is."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def to_list(value: Any) -> list[Any]:
    """A list, or text holding a JSON array."""
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str) and value.strip().startswith("["):
        parsed = to_json(value)
        if isinstance(parsed, list):
            return parsed
    raise ValueError(f"{show(value)} is not a list")


def to_uri(value: Any) -> str:
    text = to_str(value)
    parsed = urlparse(text)
    if not parsed.scheme or not (parsed.netloc or parsed.path):
        raise ValueError(f"{show(text)} is not a URI (it needs a scheme, such as https://...)")
    return text


def to_email(value: Any) -> str:
    text = to_str(value)
    if not _EMAIL.match(text):
        raise ValueError(f"{show(text)} is not an email address")
    return text


def is_expression(value: Any) -> bool:
    """True for text holding a template ('{{ ... }}' or '{% ... %}') that must be rendered before use."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)
