"""Server-Sent Events built by polling the store.

A stream reads the next snapshot only after the previous event was handed to the connection, so a slow
client never makes events pile up: intermediate changes are coalesced into the latest snapshot, and each
stream holds at most one snapshot in memory.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

KEEPALIVE_SECONDS = 15.0
SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {"schema": {
        "type": "object", "description": "One event.", "required": ["data"],
        "properties": {"data": {"type": "string", "description": "One JSON document."},
                       "event": {"type": "string"}, "id": {"type": "string"}}}}},
          "description": "A stream of Server-Sent Events; each `data:` is one JSON document."},
}


def to_json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), default=str)


def event(data_json: str, *, name: str | None = None, event_id: str | int | None = None) -> str:
    """One SSE message: optional `event:` and `id:` lines, then the (one-line) JSON data."""
    lines = []
    if name:
        lines.append(f"event: {name}")
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + data_json)
    return "\n".join(lines) + "\n\n"


def stream(chunks: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(chunks, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def snapshots(request: Request, read: Callable[[], Awaitable[tuple[str, bool] | None]],
                    interval: float) -> AsyncIterator[tuple[str, bool]]:
    """Each new (serialized snapshot, finished) from `read` while it changes, until finished, the client leaves,
    or `read` returns None (the thing is gone). Yields '' as a keep-alive when nothing changed for a while."""
    last: str | None = None
    idle = 0.0
    while not await request.is_disconnected():
        current = await read()
        if current is None:
            return
        text, finished = current
        if text != last:
            last, idle = text, 0.0
            yield text, finished
        elif idle >= KEEPALIVE_SECONDS:
            idle = 0.0
            yield "", False
        if finished:
            return
        await asyncio.sleep(interval)
        idle += interval


def progress(request: Request, read: Callable[[], Awaitable[tuple[str, bool] | None]],
             interval: float) -> StreamingResponse:
    """A stream of `read`'s snapshots (see `snapshots`) as numbered `progress` events, the last one `end`, with
    keep-alive comments between them."""

    async def events() -> AsyncIterator[str]:
        count = 0
        async for text, finished in snapshots(request, read, interval):
            if not text:
                yield ": keep-alive\n\n"
                continue
            count += 1
            yield event(text, name="end" if finished else "progress", event_id=count)

    return stream(events())
