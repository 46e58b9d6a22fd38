"""The typed values of the key-value store: a rendered value is checked against (or given) one of Kestra's
KV types and stored in a JSON-compatible form (dates and durations as ISO-8601 text)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from legato.model.durations import format_duration, parse_duration
from legato.plugins.context import TaskFailed

KVType = Literal["STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON"]


def to_stored(value: Any, kv_type: KVType | None) -> tuple[KVType, Any]:
    """(type, JSON-compatible value) for `value`; the type is inferred when `kv_type` is None."""
    if value is None:
        raise TaskFailed("property 'value' rendered to null; a KV entry needs a value")
    if kv_type is None:
        return _infer(value)
    if isinstance(value, str):
        return kv_type, _parse(value, kv_type)
    return kv_type, _check(value, kv_type)


def _infer(value: Any) -> tuple[KVType, Any]:
    if isinstance(value, bool):
        return "BOOLEAN", value
    if isinstance(value, int | float):
        return "NUMBER", value
    if isinstance(value, datetime):
        return "DATETIME", iso_datetime(value)
    if isinstance(value, date):
        return "DATE", value.isoformat()
    if isinstance(value, timedelta):
        return "DURATION", format_duration(value)
    if isinstance(value, dict | list):
        return "JSON", value
    return "STRING", str(value)


def _parse(text: str, kv_type: KVType) -> Any:
    try:
        match kv_type:
            case "STRING":
                return text
            case "NUMBER":
                number = json.loads(text)
                if isinstance(number, bool) or not isinstance(number, int | float):
                    raise ValueError("not a number")
                return number
            case "BOOLEAN":
                if text.strip().lower() not in ("true", "false"):
                    raise ValueError("expected true or false")
                return text.strip().lower() == "true"
            case "DATETIME":
                return iso_datetime(datetime.fromisoformat(text.strip()))
            case "DATE":
                return _parse_date(text.strip()).isoformat()
            case "DURATION":
                return format_duration(parse_duration(text))
            case "JSON":
                return json.loads(text)
    except ValueError as exc:
        raise TaskFailed(f"property 'value': {text!r} is not a valid {kv_type} ({exc})") from None
    except RecursionError:  # the JSON decoder recurses once per level
        raise TaskFailed(f"property 'value': the {kv_type} value is nested too deeply") from None


def _check(value: Any, kv_type: KVType) -> Any:
    inferred, stored = _infer(value)
    if kv_type == inferred or kv_type == "JSON":
        return stored
    if kv_type == "STRING":
        return json.dumps(stored) if inferred in ("JSON", "BOOLEAN") else str(stored)
    raise TaskFailed(f"property 'value': a {inferred} value cannot be stored as {kv_type}")


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.fromisoformat(text).date()


def iso_datetime(value: datetime) -> str:
    """ISO-8601 text of an instant, in UTC with a Z (naive values are taken as UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
