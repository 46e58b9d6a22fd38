"""Values read from Ion as plain JSON/YAML data: datetimes as ISO-8601 text, decimals as numbers, blobs as
base64 text (Kestra's writers print them the same way)."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    """`value` with only JSON types left (recursively)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and value.as_tuple().exponent == 0
            else float(value)
        )
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def dumps(value: Any) -> str:
    """One value as compact JSON text."""
    return json.dumps(plain(value), ensure_ascii=False, separators=(",", ":"), allow_nan=True)
