"""Redis realtime triggers: a list, a pub/sub channel, a stream consumer group (redis.asyncio).

Delivery:
- list (`redis.list.RealtimeTrigger`, Kestra's name): each element is moved atomically (BLMOVE) from the list
  to a processing list of this trigger, and removed from it (LREM) only once its execution exists. A consumer
  that stops or crashes in between leaves the element in the processing list; the next start delivers those
  first. At least once: an element whose execution was created just before a crash runs twice.
- pub/sub (`redis.pubsub.RealtimeTrigger`, Legato's): Redis keeps nothing for a subscriber that is away, so a
  message published while the consumer is stopped or reconnecting is lost. At most once.
- stream (`redis.stream.RealtimeTrigger`, Legato's): XREADGROUP in a consumer group, XACK once the execution
  exists. Entries read but not acknowledged stay pending for this consumer and are delivered again first at
  the next start; the entry id is the fire key, so an entry whose execution already exists creates nothing
  the second time. Effectively once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TRIGGERS
from legato.plugins.triggers.base import Message, RealtimeSource, RealtimeTrigger, TriggerContext
from legato.plugins.triggers.realtime import serde, shared

_BLOCK_SECONDS = 2  # longest a blocking read waits before looping (keeps a dead connection from hanging)


def _client(ctx: TriggerContext, url: str) -> Any:
    import redis.asyncio

    return redis.asyncio.from_url(shared.required_text(ctx, url, "url"))


class _RedisTrigger(RealtimeTrigger):
    REQUIRES: ClassVar[tuple[str, ...]] = ("redis",)
    EXTRA: ClassVar[str] = "redis"
    url: str = Field(description="Connection string, e.g. redis://user:password@host:6379/0 (rediss:// for TLS).")
    serdeType: serde.Serde = Field(default="STRING", description="How values are read: STRING (text) or JSON.")


@TRIGGERS.register
class RedisListTrigger(_RedisTrigger):
    """One execution per element popped from the head of a Redis list; `trigger.value` is the element."""

    TYPE: ClassVar[str] = "redis.list.RealtimeTrigger"
    # The last alias is the name Kestra's own documentation example uses for this trigger.
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.redis.list.RealtimeTrigger", "io.kestra.plugin.redis.RealtimeTriggerList",
                                          "io.kestra.plugin.redis.RealtimeTrigger")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: watch\n    type: io.kestra.plugin.redis.list.RealtimeTrigger\n    url: redis://localhost:6379/0\n    key: orders\n    serdeType: JSON\n",
    )

    key: str = Field(description="The list to pop from, at its head: elements added with RPUSH come in order (FIFO), with LPUSH newest first.")
    processingKey: str | None = Field(
        default=None,
        description="Legato: list holding the elements popped but whose execution is not created yet "
        "(default `<key>:processing:<namespace>.<flow>.<trigger>`).",
    )

    def source(self) -> RealtimeSource:
        return self

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        key = shared.required_text(ctx, self.key, "key")
        processing = shared.rendered_text(ctx, self.processingKey) or f"{key}:processing:{ctx.namespace}.{ctx.flow_id}.{ctx.trigger_id}"
        client = _client(ctx, self.url)
        try:
            # Elements a previous consumer moved but never acknowledged come first.
            for raw in await client.lrange(processing, 0, -1):
                message = await self._message(ctx, client, processing, raw)
                if message is not None:
                    yield message
            while True:
                raw = await client.blmove(key, processing, _BLOCK_SECONDS, "LEFT", "RIGHT")
                shared.check_cancelled()
                message = None if raw is None else await self._message(ctx, client, processing, raw)
                if message is not None:
                    yield message
        finally:
            await client.aclose()

    async def _message(self, ctx: TriggerContext, client: Any, processing: str, raw: bytes) -> Message | None:
        async def ack() -> None:
            await client.lrem(processing, 1, raw)

        try:
            return Message({"value": serde.decode(raw, self.serdeType)}, ack=ack)
        except serde.UndecodableMessage as exc:
            await shared.drop(ctx, f"list {self.key}", exc, ack)
            return None


@TRIGGERS.register
class RedisPubSubTrigger(_RedisTrigger):
    """One execution per message published on Redis channels. At most once: Redis keeps nothing for a
    subscriber that is away."""

    TYPE: ClassVar[str] = "redis.pubsub.RealtimeTrigger"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: events\n    type: redis.pubsub.RealtimeTrigger\n    url: redis://localhost:6379/0\n    channel: [orders, refunds]\n",
    )

    channel: str | list[str] = Field(description="Channel name(s) to subscribe to (glob patterns with `pattern: true`).")
    pattern: bool = Field(default=False, description="Treat the channel names as glob patterns (PSUBSCRIBE).")

    def source(self) -> RealtimeSource:
        return self

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        channels = shared.rendered_list(ctx, self.channel)
        client = _client(ctx, self.url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await (pubsub.psubscribe(*channels) if self.pattern else pubsub.subscribe(*channels))
            while True:
                item = await pubsub.get_message(timeout=_BLOCK_SECONDS)
                shared.check_cancelled()
                if item is None or item.get("type") not in ("message", "pmessage"):
                    continue
                channel = serde.text(item["channel"])
                try:
                    value = serde.decode(item["data"], self.serdeType)
                except serde.UndecodableMessage as exc:
                    await shared.drop(ctx, f"channel {channel}", exc, None)
                    continue
                yield Message({"channel": channel, "pattern": serde.text(item.get("pattern")), "value": value})
        finally:
            await pubsub.aclose()
            await client.aclose()


@TRIGGERS.register
class RedisStreamTrigger(_RedisTrigger):
    """One execution per entry of a Redis stream, read in a consumer group and acknowledged (XACK) once its
    execution exists. `trigger.value` is the entry's field map (each value read as `serdeType`)."""

    TYPE: ClassVar[str] = "redis.stream.RealtimeTrigger"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: orders\n    type: redis.stream.RealtimeTrigger\n    url: redis://localhost:6379/0\n    key: orders\n    group: billing\n    startId: \"0\"\n",
    )

    key: str = Field(description="The stream.")
    group: str = Field(description="Consumer group; created at the first start when missing (with the stream, if needed).")
    consumer: str | None = Field(default=None, description="Consumer name within the group (default: one per trigger). Keep it stable: pending entries belong to it.")
    startId: str = Field(default="$", description="Where a group created by this trigger starts: `$` (entries added from now on), `0` (the whole stream) or an entry id.")
    count: int = Field(default=10, ge=1, description="Entries read per call.")

    def source(self) -> RealtimeSource:
        return self

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        from redis.exceptions import ResponseError

        key = shared.required_text(ctx, self.key, "key")
        group = shared.required_text(ctx, self.group, "group")
        consumer = shared.rendered_text(ctx, self.consumer) or shared.identity(ctx)
        client = _client(ctx, self.url)
        try:
            try:
                await client.xgroup_create(key, group, id=self.startId, mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            # First what this consumer read earlier and never acknowledged, then new entries.
            after = "0"
            while True:
                entries = await self._read(client, key, group, consumer, after, block=None)
                if not entries:
                    break
                for entry_id, fields in entries:
                    after = serde.text(entry_id) or after
                    message = await self._message(ctx, client, key, group, entry_id, fields)
                    if message is not None:
                        yield message
            while True:
                for entry_id, fields in await self._read(client, key, group, consumer, ">", block=_BLOCK_SECONDS * 1000):
                    message = await self._message(ctx, client, key, group, entry_id, fields)
                    if message is not None:
                        yield message
        finally:
            await client.aclose()

    async def _read(self, client: Any, key: str, group: str, consumer: str, after: str, block: int | None) -> list[Any]:
        reply = await client.xreadgroup(group, consumer, {key: after}, count=self.count, block=block)
        shared.check_cancelled()
        # RESP2 (the client's default) answers [[stream, [(id, fields), ...]]].
        return [entry for _stream, entries in reply or () for entry in entries]

    async def _message(self, ctx: TriggerContext, client: Any, key: str, group: str, entry_id: bytes, fields: Any) -> Message | None:
        ident = serde.text(entry_id) or ""

        async def ack() -> None:
            await client.xack(key, group, entry_id)

        if not fields:  # deleted (XDEL/XTRIM) while pending: nothing left to run
            await ack()
            return None
        try:
            value = {serde.text(k): serde.decode(v, self.serdeType) for k, v in fields.items()}
        except serde.UndecodableMessage as exc:
            await shared.drop(ctx, f"stream {key} entry {ident}", exc, ack)
            return None
        return Message({"stream": key, "id": ident, "value": value}, ack=ack, key=f"{key}:{ident}")
