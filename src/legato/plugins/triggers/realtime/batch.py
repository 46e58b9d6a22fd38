"""Batch variants of the realtime triggers, Kestra's polling `Trigger` of each system: every `interval` the
trigger consumes messages until `maxRecords` of them came or `maxDuration` passed (at most `interval` when
`maxDuration` is unset), writes them to one file in internal storage (one JSON value per line) and starts ONE
execution with `trigger.uri` and `trigger.count` (`trigger.messagesCount` too, Kestra's name in some plugins).
Nothing is started when no message came.

Delivery is the realtime trigger's own: the consumer stays connected until the execution is recorded, then
acknowledges every message of the batch; when the execution is not created (the trigger's previous execution
still runs, the process stops) the consumer disconnects without acknowledging and the messages go back to
the broker for the next poll (Redis pub/sub, core NATS and PostgreSQL have nothing to go back to).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field, model_validator

from legato.model.durations import Duration
from legato.model.task import TRIGGERS
from legato.plugins.triggers.base import Message, Poll, PollingSource, PollingTrigger, TriggerContext
from legato.plugins.triggers.realtime.amqp import AmqpTrigger
from legato.plugins.triggers.realtime.kafka import KafkaTrigger
from legato.plugins.triggers.realtime.mqtt import MqttTrigger
from legato.plugins.triggers.realtime.nats import NatsJetStreamTrigger
from legato.plugins.triggers.realtime.redis import RedisListTrigger

_RELEASE_AFTER_SECONDS = 120.0  # an unsettled batch gives its messages back by then (if no poll came before)


class Batch:
    """Collects the messages of a realtime source into one poll."""

    def __init__(self, consume: Callable[[TriggerContext], AsyncIterator[Message]], *, max_records: int | None,
                 max_duration: timedelta, line: Callable[[Message], Any]) -> None:
        self.consume = consume
        self.max_records = max_records
        self.max_duration = max_duration
        self.line = line  # what of a message goes into the file
        # The consumer of the last batch while its execution is not recorded. The runner polls one trigger at a
        # time, so when the next poll starts a batch still unsettled was not recorded: its messages go back.
        self._unsettled: asyncio.Task[None] | None = None

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        if self._unsettled is not None:
            await _stop(self._unsettled)
            self._unsettled = None
        if ctx.storage is None:
            raise RuntimeError(f"trigger '{ctx.trigger_id}' writes its batch to internal storage, which is not configured")
        credits, arrived = asyncio.Semaphore(0), asyncio.Queue[Message]()
        pump = asyncio.create_task(self._pump(ctx, credits, arrived), name=f"batch-{ctx.trigger_id}")
        try:
            taken = await self._collect(pump, credits, arrived)
        except BaseException:
            await _stop(pump)
            raise
        if not taken:
            await _stop(pump)
            if pump.done() and not pump.cancelled() and pump.exception() is not None:
                raise pump.exception()  # type: ignore[misc]
            return None
        body = "".join(json.dumps(self.line(m), ensure_ascii=False, separators=(",", ":")) + "\n" for m in taken).encode()
        uri = await asyncio.to_thread(ctx.storage.put, ctx.file_uri("messages.ion"), body)
        release = asyncio.get_running_loop().call_later(_RELEASE_AFTER_SECONDS, pump.cancel)
        self._unsettled = pump

        async def commit() -> None:
            release.cancel()
            try:
                for message in taken:
                    if message.ack is not None:
                        await message.ack()
            finally:
                if self._unsettled is pump:
                    self._unsettled = None
                await _stop(pump)

        last_state = next((m.state for m in reversed(taken) if m.state is not None), None)
        return Poll({"uri": uri, "count": len(taken), "messagesCount": len(taken)}, state=last_state, on_commit=commit)

    async def _collect(self, pump: asyncio.Task[None], credits: asyncio.Semaphore, arrived: asyncio.Queue[Message]) -> list[Message]:
        """Messages until max_records or max_duration; the source reads one message at a time, when asked."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_duration.total_seconds()
        taken: list[Message] = []
        while self.max_records is None or len(taken) < self.max_records:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            credits.release()
            getter = asyncio.create_task(arrived.get(), name="batch-next-message")
            done, _ = await asyncio.wait({getter, pump}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break  # out of time, or the source ended/failed (raised once the batch is handled)
            taken.append(getter.result())
        return taken

    async def _pump(self, ctx: TriggerContext, credits: asyncio.Semaphore, arrived: asyncio.Queue[Message]) -> None:
        messages = self.consume(ctx)
        try:
            while True:
                await credits.acquire()
                arrived.put_nowait(await anext(messages))
        except StopAsyncIteration:
            return
        finally:
            with contextlib.suppress(Exception):
                await messages.aclose()  # type: ignore[attr-defined]


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


class _BatchMixin(PollingTrigger):
    """maxRecords / maxDuration of a batch trigger."""

    KIND: ClassVar[Any] = "polling"

    maxRecords: int | None = Field(default=None, ge=1, description="Start the execution once this many messages came.")
    maxDuration: Duration | None = Field(default=None, description="Start the execution once this long passed since the poll began (default: at most `interval`).")

    @model_validator(mode="after")
    def _needs_a_limit(self) -> _BatchMixin:
        if self.maxRecords is None and self.maxDuration is None:
            raise ValueError("set maxRecords or maxDuration (or both): when the batch of a poll ends")
        return self

    def batch(self, consume: Callable[[TriggerContext], AsyncIterator[Message]], line: Callable[[Message], Any]) -> Batch:
        return Batch(consume, max_records=self.maxRecords, max_duration=self.maxDuration or self.interval, line=line)


def _variables(message: Message) -> Any:
    return message.variables


@TRIGGERS.register
class RedisListBatchTrigger(_BatchMixin, RedisListTrigger):
    """Every `interval`, pop elements of a Redis list into one file (`trigger.uri`, one value per line) and start one execution."""

    TYPE: ClassVar[str] = "redis.list.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.redis.list.Trigger", "io.kestra.plugin.redis.TriggerList")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: batch\n    type: io.kestra.plugin.redis.list.Trigger\n    url: redis://localhost:6379/0\n    key: orders\n    maxRecords: 100\n    interval: PT1M\n",
    )

    count: int = Field(default=100, ge=1, description="Kestra compatibility: elements are moved one at a time (each must be acknowledged).")

    def source(self) -> PollingSource:  # type: ignore[override]
        return self.batch(self.messages, lambda m: m.variables["value"])


@TRIGGERS.register
class AmqpBatchTrigger(_BatchMixin, AmqpTrigger):
    """Every `interval`, consume messages of an AMQP queue into one file (`trigger.uri`) and start one execution."""

    TYPE: ClassVar[str] = "amqp.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.amqp.Trigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: batch\n    type: io.kestra.plugin.amqp.Trigger\n    host: localhost\n    username: guest\n    password: guest\n    queue: orders\n    maxRecords: 50\n",
    )

    def source(self) -> PollingSource:  # type: ignore[override]
        return self.batch(self.messages, _variables)


@TRIGGERS.register
class MqttBatchTrigger(_BatchMixin, MqttTrigger):
    """Every `interval`, consume messages of MQTT topics into one file (`trigger.uri`) and start one execution."""

    TYPE: ClassVar[str] = "mqtt.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.mqtt.Trigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: batch\n    type: io.kestra.plugin.mqtt.Trigger\n    server: tcp://localhost:1883\n    clientId: legato-batch\n    topic: sensors/#\n    maxRecords: 10\n",
    )

    def source(self) -> PollingSource:  # type: ignore[override]
        return self.batch(self.messages, _variables)


@TRIGGERS.register
class NatsBatchTrigger(_BatchMixin, NatsJetStreamTrigger):
    """Every `interval`, fetch messages of a JetStream subject into one file (`trigger.uri`) and start one execution."""

    TYPE: ClassVar[str] = "nats.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.nats.Trigger", "io.kestra.plugin.nats.core.Trigger")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: batch\n    type: io.kestra.plugin.nats.Trigger\n    url: nats://localhost:4222\n    subject: orders.>\n    durableId: legato-batch\n    maxRecords: 100\n",
    )

    pollDuration: Duration | None = Field(default=None, description="Kestra compatibility: unused (a fetch waits at most 2 s, the batch at most maxDuration).")

    def source(self) -> PollingSource:  # type: ignore[override]
        return self.batch(self.messages, _variables)


@TRIGGERS.register
class KafkaBatchTrigger(_BatchMixin, KafkaTrigger):
    """Every `interval`, consume records of Kafka topics into one file (`trigger.uri`) and start one execution."""

    TYPE: ClassVar[str] = "kafka.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.kafka.Trigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: batch\n    type: io.kestra.plugin.kafka.Trigger\n    topic: orders\n    groupId: legato\n"
        "    properties:\n      bootstrap.servers: localhost:9092\n    maxRecords: 500\n    maxDuration: PT30S\n",
    )

    pollDuration: Duration | None = Field(default=None, description="Kestra compatibility: unused (records are read as they come, for at most maxDuration).")

    def source(self) -> PollingSource:  # type: ignore[override]
        return self.batch(self.messages, _variables)
