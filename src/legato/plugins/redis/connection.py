"""What every Redis task shares: the `url` and a client (redis.asyncio), and Kestra's `serdeType`:
STRING stores a value as its text, JSON as JSON text (a string must already be valid JSON)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import RunnableTask
from legato.plugins.triggers.realtime import serde

Serde = serde.Serde


class RedisTask(RunnableTask):
    REQUIRES: ClassVar[tuple[str, ...]] = ("redis",)
    EXTRA: ClassVar[str] = "redis"
    url: str = Field(description="Connection string (rendered), e.g. redis://user:password@host:6379/0 (rediss:// for TLS).")

    @contextlib.asynccontextmanager
    async def client(self, ctx: RunContext) -> AsyncIterator[Any]:
        """A connected client; connection and command errors as TaskFailed."""
        import redis.asyncio
        from redis.exceptions import RedisError

        url = ctx.render_string(self.url).strip()
        try:
            client = redis.asyncio.from_url(url, socket_connect_timeout=30)
        except ValueError as exc:
            raise TaskFailed(f"property 'url': {exc}") from None
        try:
            yield client
        except RedisError as exc:
            raise TaskFailed(f"Redis: {exc}") from None
        finally:
            await client.aclose()


def encode(value: Any, kind: str) -> str:
    """A value as Redis text by serdeType."""
    if kind == "JSON":
        if isinstance(value, str):
            try:
                json.loads(value)
            except ValueError as exc:
                raise TaskFailed(f"value is not valid JSON ({exc}): {value[:200]!r}") from None
            return value
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict | list) else str(value)


def decode(raw: bytes | str | None, kind: str) -> Any:
    """Redis text as a value by serdeType."""
    try:
        return serde.decode(raw, kind)
    except serde.UndecodableMessage as exc:
        raise TaskFailed(str(exc)) from None
