"""Redis strings: Set (with expiry, NX/XX, KEEPTTL, GET), Get, Delete and Increment."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.redis.connection import RedisTask, Serde, decode, encode
from legato.plugins.runnable import Expression, render_as, render_bool, render_optional

_PREFIX = "io.kestra.plugin.redis"


def _aliases(group: str, name: str) -> tuple[str, ...]:
    return (f"{_PREFIX}.{group}.{name}", f"{_PREFIX}.{name}")


class SetOptions(Frozen):
    expirationDuration: Duration | Expression | None = Field(default=None, description="Time to live (ISO-8601 duration).")
    expirationDate: datetime | Expression | None = Field(default=None, description="Expire at this date-time.")
    mustNotExist: bool | Expression = Field(default=False, description="Set only when the key does not exist (NX).")
    mustExist: bool | Expression = Field(default=False, description="Set only when the key exists (XX).")
    keepTtl: bool | Expression = Field(default=False, description="Keep the key's current time to live (KEEPTTL).")


@TASKS.register
class Set(RedisTask):
    """Set a Redis string key; `get: true` returns the value it replaced as `oldValue`."""

    TYPE: ClassVar[str] = "redis.string.Set"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("string", "Set")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: set\ntype: io.kestra.plugin.redis.string.Set\nurl: redis://127.0.0.1:6379/0\nkey: \"session:{{ execution.id }}\"\n"
        "value: '{\"user\": \"ada\"}'\nserdeType: JSON\noptions:\n  expirationDuration: PT1H\n",
    )

    key: str = Field(description="The key (rendered).")
    value: Any = Field(description="The value (rendered); with serdeType JSON, a map, a list or JSON text.")
    options: SetOptions = Field(default_factory=SetOptions, description="Expiry and existence conditions.")
    get: bool | Expression = Field(default=False, description="Return the previous value as `oldValue`.")
    serdeType: Serde = Field(default="STRING", description="STRING: the value's text; JSON: the value as JSON.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key = ctx.render_string(self.key)
        value = encode(ctx.render(self.value), self.serdeType)
        o = self.options
        ttl = render_optional(ctx, o.expirationDuration, Duration, "options.expirationDuration")
        at = render_optional(ctx, o.expirationDate, datetime, "options.expirationDate")
        nx, xx = render_bool(ctx, o.mustNotExist, "options.mustNotExist"), render_bool(ctx, o.mustExist, "options.mustExist")
        if nx and xx:
            raise TaskFailed("options: mustNotExist and mustExist cannot both be true")
        get = render_bool(ctx, self.get, "get")
        async with self.client(ctx) as client:
            old = await client.set(key, value, px=None if ttl is None else int(ttl.total_seconds() * 1000),
                                   pxat=None if at is None else int(at.timestamp() * 1000), nx=nx, xx=xx,
                                   keepttl=render_bool(ctx, o.keepTtl, "options.keepTtl"), get=get)
        return {"oldValue": old.decode("utf-8", errors="replace")} if get and isinstance(old, bytes) else {}


@TASKS.register
class Get(RedisTask):
    """Read a Redis string key: `data` is its value (null when absent), `key` the key."""

    TYPE: ClassVar[str] = "redis.string.Get"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("string", "Get")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: get\ntype: io.kestra.plugin.redis.string.Get\nurl: redis://127.0.0.1:6379/0\nkey: \"session:{{ inputs.id }}\"\n"
        "serdeType: JSON\nfailedOnMissing: true\n",
    )

    key: str = Field(description="The key (rendered).")
    serdeType: Serde = Field(default="STRING", description="STRING: the value as text; JSON: parsed.")
    failedOnMissing: bool | Expression = Field(default=False, description="Fail when the key does not exist.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key = ctx.render_string(self.key)
        async with self.client(ctx) as client:
            raw = await client.get(key)
        if raw is None and render_bool(ctx, self.failedOnMissing, "failedOnMissing"):
            raise TaskFailed(f"key {key!r} does not exist")
        return {"data": decode(raw, self.serdeType), "key": key}


@TASKS.register
class Delete(RedisTask):
    """Delete Redis keys; `count` is how many existed."""

    TYPE: ClassVar[str] = "redis.string.Delete"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("string", "Delete")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: cleanup\ntype: io.kestra.plugin.redis.string.Delete\nurl: redis://127.0.0.1:6379/0\nkeys:\n  - \"session:{{ inputs.id }}\"\n",
    )

    keys: list[str] | Expression = Field(description="The keys to delete (rendered).")
    failedOnMissing: bool | Expression = Field(default=False, description="Fail when some key did not exist.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        keys = [str(k) for k in render_as(ctx, self.keys, list[Any], "keys")]
        if not keys:
            return {"count": 0}
        async with self.client(ctx) as client:
            count = int(await client.delete(*keys))
        if count != len(keys) and render_bool(ctx, self.failedOnMissing, "failedOnMissing"):
            raise TaskFailed(f"missing keys: only {count} of {len(keys)} deleted")
        return {"count": count}


@TASKS.register
class Increment(RedisTask):
    """Add `amount` to the number at a Redis key (0 when absent); `value` is the result."""

    TYPE: ClassVar[str] = "redis.string.Increment"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("string", "Increment")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: count\ntype: io.kestra.plugin.redis.string.Increment\nurl: redis://127.0.0.1:6379/0\nkey: runs\namount: 1\n",
    )

    key: str = Field(description="The key (rendered).")
    amount: int | float | Expression = Field(default=1, description="How much to add (negative to subtract).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key = ctx.render_string(self.key)
        amount = render_as(ctx, self.amount, float, "amount")
        async with self.client(ctx) as client:
            if float(amount).is_integer():
                value: int | float = int(await client.incrby(key, int(amount)))
            else:
                value = float(await client.incrbyfloat(key, amount))
        return {"key": key, "value": value}


@TASKS.register
class Ttl(RedisTask):
    """The time to live of a Redis key in seconds: -1 without expiry, -2 when the key does not exist."""

    TYPE: ClassVar[str] = "redis.string.Ttl"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("string", "Ttl")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: ttl\ntype: io.kestra.plugin.redis.string.Ttl\nurl: redis://127.0.0.1:6379/0\nkey: \"session:{{ inputs.id }}\"\n",
    )

    key: str = Field(description="The key (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key = ctx.render_string(self.key)
        async with self.client(ctx) as client:
            ttl = int(await client.ttl(key))
        return {"ttl": ttl, "key": key}
