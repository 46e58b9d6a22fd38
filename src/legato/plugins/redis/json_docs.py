"""RedisJSON documents (`io.kestra.plugin.redis.json.*`): Set, Get, Delete and Increment at a JSONPath, with
the JSON.* commands of the RedisJSON module (Redis Stack, or Redis 8); a server without it fails with Redis's
"unknown command 'JSON.SET'"."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.redis.connection import RedisTask
from legato.plugins.runnable import Expression, render_as, render_bool, render_optional

_PREFIX = "io.kestra.plugin.redis.json"


class JsonSetOptions(Frozen):
    expirationDuration: Duration | Expression | None = Field(default=None, description="Time to live (ISO-8601 duration).")
    expirationDate: datetime | Expression | None = Field(default=None, description="Expire at this date-time.")
    mustNotExist: bool | Expression = Field(default=False, description="Set only when the path does not exist (NX).")
    mustExist: bool | Expression = Field(default=False, description="Set only when the path exists (XX).")


async def _expire(ctx: RunContext, client: Any, key: str, options: JsonSetOptions) -> None:
    ttl = render_optional(ctx, options.expirationDuration, Duration, "options.expirationDuration")
    at = render_optional(ctx, options.expirationDate, datetime, "options.expirationDate")
    if ttl is not None:
        await client.pexpire(key, int(ttl.total_seconds() * 1000))
    elif at is not None:
        await client.pexpireat(key, int(at.timestamp() * 1000))


def _first(raw: Any) -> Any:
    value = json.loads(raw) if isinstance(raw, bytes | str) else raw
    return value[0] if isinstance(value, list) and len(value) == 1 else value


@TASKS.register
class Set(RedisTask):
    """Set a JSON value at `path` (default the root, $) of a RedisJSON document."""

    TYPE: ClassVar[str] = "redis.json.Set"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Set",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: set\ntype: io.kestra.plugin.redis.json.Set\nurl: redis://127.0.0.1:6379/0\nkey: \"user:{{ inputs.id }}\"\n"
        "value:\n  name: Ada\n  visits: 1\n",
    )

    key: str = Field(description="The key (rendered).")
    value: Any = Field(description="The value (rendered): a map, a list, a scalar, or JSON text.")
    path: str = Field(default="$", description="JSONPath where to set it.")
    get: bool | Expression = Field(default=False, description="Return the previous value at the path as `oldValue`.")
    options: JsonSetOptions = Field(default_factory=JsonSetOptions, description="Expiry and existence conditions.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key, path = ctx.render_string(self.key), ctx.render_string(self.path)
        value = ctx.render(self.value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # text that is no JSON is a JSON string
                value = json.loads(value)
        nx = render_bool(ctx, self.options.mustNotExist, "options.mustNotExist")
        xx = render_bool(ctx, self.options.mustExist, "options.mustExist")
        flags = ["NX"] if nx else ["XX"] if xx else []
        outputs: dict[str, Any] = {}
        async with self.client(ctx) as client:
            if render_bool(ctx, self.get, "get"):
                old = await client.execute_command("JSON.GET", key, path)
                outputs["oldValue"] = None if old is None else _first(old)
            await client.execute_command("JSON.SET", key, path, json.dumps(value), *flags)
            await _expire(ctx, client, key, self.options)
        return outputs


@TASKS.register
class Get(RedisTask):
    """Read the JSON value at `path` of a RedisJSON document: `data`, `key`."""

    TYPE: ClassVar[str] = "redis.json.Get"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Get",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: get\ntype: io.kestra.plugin.redis.json.Get\nurl: redis://127.0.0.1:6379/0\nkey: \"user:{{ inputs.id }}\"\npath: $.name\n",
    )

    key: str = Field(description="The key (rendered).")
    path: str = Field(default="$", description="JSONPath to read.")
    failedOnMissing: bool | Expression = Field(default=False, description="Fail when the key does not exist.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key, path = ctx.render_string(self.key), ctx.render_string(self.path)
        async with self.client(ctx) as client:
            raw = await client.execute_command("JSON.GET", key, path)
        if raw is None and render_bool(ctx, self.failedOnMissing, "failedOnMissing"):
            raise TaskFailed(f"key {key!r} does not exist")
        return {"data": None if raw is None else _first(raw), "key": key}


@TASKS.register
class Delete(RedisTask):
    """Delete JSON paths: `keys` maps each key to the paths to delete; `count` is how many were deleted."""

    TYPE: ClassVar[str] = "redis.json.Delete"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Delete",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: delete\ntype: io.kestra.plugin.redis.json.Delete\nurl: redis://127.0.0.1:6379/0\nkeys:\n  \"user:1\": [\"$.visits\"]\n",
    )

    keys: dict[str, list[str]] | Expression = Field(description="Key → JSONPaths to delete (rendered).")
    failedOnMissing: bool | Expression = Field(default=False, description="Fail when nothing was deleted at some path.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        keys = render_as(ctx, self.keys, dict[str, list[str]], "keys")
        count = 0
        async with self.client(ctx) as client:
            for key, paths in keys.items():
                for path in paths or ["$"]:
                    deleted = int(await client.execute_command("JSON.DEL", key, path))
                    if deleted == 0 and render_bool(ctx, self.failedOnMissing, "failedOnMissing"):
                        raise TaskFailed(f"nothing to delete at {path!r} of key {key!r}")
                    count += deleted
        return {"count": count}


@TASKS.register
class Increment(RedisTask):
    """Add `amount` to the number at `path` of a RedisJSON document: `value` is the result."""

    TYPE: ClassVar[str] = "redis.json.Increment"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Increment",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: visit\ntype: io.kestra.plugin.redis.json.Increment\nurl: redis://127.0.0.1:6379/0\nkey: \"user:1\"\npath: $.visits\n",
    )

    key: str = Field(description="The key (rendered).")
    path: str = Field(default="$", description="JSONPath of the number.")
    amount: int | float | Expression = Field(default=1, description="How much to add.")
    options: JsonSetOptions = Field(default_factory=JsonSetOptions, description="Expiry of the key after the change.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key, path = ctx.render_string(self.key), ctx.render_string(self.path)
        amount = render_as(ctx, self.amount, float, "amount")
        async with self.client(ctx) as client:
            raw = await client.execute_command("JSON.NUMINCRBY", key, path, int(amount) if float(amount).is_integer() else amount)
            await _expire(ctx, client, key, self.options)
        return {"value": _first(raw), "key": key}
