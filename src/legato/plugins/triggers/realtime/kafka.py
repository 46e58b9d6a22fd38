"""Kafka realtime trigger, Kestra's `io.kestra.plugin.kafka.RealtimeTrigger` (aiokafka).

Delivery: a consumer in `groupId` with automatic commits off; the offset after a record is committed once
the record's execution exists. A record consumed but not committed when the consumer stops or crashes is
read again at the next start (from the group's committed offset); topic/partition/offset is the fire key, so
a record read twice creates one execution. Effectively once.

Kestra's Java client `properties` are translated to aiokafka's options by legato.plugins.kafka.client, shared
with the `Produce`/`Consume` tasks; values are read as Kafka's Java serializers write them
(`keyDeserializer`/`valueDeserializer`); AVRO needs a schema registry client and is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, field_validator

from legato.model.task import TRIGGERS
from legato.plugins.kafka.client import (
    OnSerdeError,
    SerdeType,
    consumer_options,
    record_variables,
    refuse_registry,
)
from legato.plugins.triggers.base import Message, RealtimeSource, RealtimeTrigger, TriggerContext
from legato.plugins.triggers.realtime import serde, shared


@TRIGGERS.register
class KafkaTrigger(RealtimeTrigger):
    """One execution per record of Kafka topics; `trigger.value` is the record's value."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("aiokafka",)
    EXTRA: ClassVar[str] = "kafka"
    TYPE: ClassVar[str] = "kafka.RealtimeTrigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.kafka.RealtimeTrigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: orders\n    type: io.kestra.plugin.kafka.RealtimeTrigger\n    topic: orders\n    properties:\n"
        "      bootstrap.servers: localhost:9092\n    groupId: legato-orders\n    valueDeserializer: JSON\n",
    )

    properties: dict[str, str | int | bool] = Field(description="Kafka client properties (rendered), Java client names: bootstrap.servers, security.protocol, sasl.mechanism, sasl.jaas.config, ssl.ca.location, auto.offset.reset, ...")
    serdeProperties: dict[str, Any] = Field(default_factory=dict, description="Kestra compatibility: schema registry settings, unused (AVRO is not supported).")
    topic: str | list[str] | None = Field(default=None, description="Topic(s) to consume (rendered).")
    topicPattern: str | None = Field(default=None, description="Regular expression of the topics to consume (instead of `topic`).")
    partitions: list[int] | None = Field(default=None, description="Read only these partitions of the topic(s) (manual assignment) instead of letting the group assign them.")
    groupId: str = Field(description="Consumer group (rendered); it keeps the committed offsets.")
    keyDeserializer: SerdeType = Field(default="STRING", description="How record keys are read.")
    valueDeserializer: SerdeType = Field(default="STRING", description="How record values are read.")
    onSerdeError: OnSerdeError | None = Field(default=None, description="What to do with a record that does not deserialize: SKIPPED (the default).")
    since: str | None = Field(default=None, description="ISO-8601 date: with `partitions`, a partition with no committed offset starts at the first record from this date. Ignored with group assignment, as in Kestra.")

    @field_validator("keyDeserializer", "valueDeserializer")
    @classmethod
    def _no_registry(cls, value: str) -> str:
        return refuse_registry(value)

    def source(self) -> RealtimeSource:
        return self

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        from aiokafka import AIOKafkaConsumer

        options = consumer_options(shared.rendered(ctx, dict(self.properties)), shared.required_text(ctx, self.groupId, "groupId"))
        async for message in self.consume(AIOKafkaConsumer(**options), ctx):
            yield message

    async def consume(self, consumer: Any, ctx: TriggerContext) -> AsyncIterator[Message]:
        """Messages from a consumer (anything with aiokafka's AIOKafkaConsumer methods), committed on ack."""
        await consumer.start()
        try:
            await self._subscribe(consumer, ctx)
            while True:
                record = await consumer.getone()
                message = await self._message(consumer, ctx, record)
                if message is not None:
                    yield message
        finally:
            await consumer.stop()

    async def _subscribe(self, consumer: Any, ctx: TriggerContext) -> None:
        from aiokafka import TopicPartition

        topics = shared.rendered_list(ctx, self.topic) if self.topic is not None else []
        if self.partitions is not None:
            assigned = [TopicPartition(topic, p) for topic in topics for p in self.partitions]
            consumer.assign(assigned)
            if self.since:
                await self._seek_since(consumer, ctx, assigned)
        elif self.topicPattern:
            consumer.subscribe(pattern=shared.rendered_text(ctx, self.topicPattern))
        elif topics:
            consumer.subscribe(topics=topics)
        else:
            raise ValueError(f"trigger '{self.id}': set `topic` or `topicPattern`")

    async def _seek_since(self, consumer: Any, ctx: TriggerContext, assigned: list[Any]) -> None:
        since = datetime.fromisoformat(shared.required_text(ctx, self.since, "since").replace("Z", "+00:00"))
        fresh = [tp for tp in assigned if await consumer.committed(tp) is None]
        found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in fresh}) if fresh else {}
        for tp, at in found.items():
            if at is not None:
                consumer.seek(tp, at.offset)

    async def _message(self, consumer: Any, ctx: TriggerContext, record: Any) -> Message | None:
        from aiokafka import TopicPartition

        async def ack() -> None:
            await consumer.commit({TopicPartition(record.topic, record.partition): record.offset + 1})

        try:
            variables = record_variables(record, self.keyDeserializer, self.valueDeserializer)
        except serde.UndecodableMessage as exc:
            await shared.drop(ctx, f"{record.topic}[{record.partition}]@{record.offset}", exc, ack)
            return None
        fire_key = f"{record.topic}:{record.partition}:{record.offset}"
        return Message(variables, ack=ack, key=fire_key)

