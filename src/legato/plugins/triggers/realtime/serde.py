"""Reading payloads the way Kestra's `serdeType` says, for every realtime source.

Every value a source puts in `trigger.*` is JSON-safe (it is stored with the execution): text stays text,
JSON payloads become maps/lists/numbers, raw bytes become base64 text (as Kestra serialises byte arrays),
dates become ISO-8601 text.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any, Literal

Serde = Literal["STRING", "JSON"]
SerdeWithBytes = Literal["STRING", "JSON", "BYTES"]


class UndecodableMessage(ValueError):
    """A payload that its `serdeType` cannot read (invalid JSON, for instance)."""


def decode(payload: bytes | str | None, serde: str) -> Any:
    """`payload` read as `serde`: STRING → text (UTF-8, bad bytes replaced), JSON → the parsed value,
    BYTES → base64 text. Raises UndecodableMessage for a JSON payload that does not parse."""
    if payload is None:
        return None
    if serde == "BYTES":
        raw = payload.encode() if isinstance(payload, str) else payload
        return base64.b64encode(raw).decode("ascii")
    text = payload if isinstance(payload, str) else payload.decode("utf-8", errors="replace")
    if serde == "JSON":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise UndecodableMessage(f"payload is not valid JSON ({exc}): {text[:200]!r}") from None
    return text


def text(payload: bytes | str | None) -> str | None:
    """UTF-8 text of `payload` (bad bytes replaced)."""
    if payload is None or isinstance(payload, str):
        return payload
    return payload.decode("utf-8", errors="replace")


def iso(moment: datetime | float | None) -> str | None:
    """ISO-8601 UTC text of a datetime or a POSIX timestamp in seconds."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
