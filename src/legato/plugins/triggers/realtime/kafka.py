"""Kafka realtime trigger, Kestra's `io.kestra.plugin.kafka.RealtimeTrigger` (aiokafka).

Delivery: a consumer in `groupId` with automatic commits off; the offset after a record is committed once
the record's execution exists. A record consumed but not committed when the consumer stops or crashes is
read again at the next start (from the group's committed offset); topic/partition/offset is the fire key, so
a record read twice creates one execution. Effectively once.

Kestra's Java client `properties` are translated to aiokafka's options (see `consumer_options`); a property
with no counterpart is refused by name. Values are read as Kafka's Java serializers write them
(`keyDeserializer`/`valueDeserializer`); AVRO needs a schema registry client and is refused.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from legato.model.task import TRIGGERS, Frozen
from legato.plugins.triggers.base import Message, RealtimeSource, RealtimeTrigger, TriggerContext
from legato.plugins.triggers.realtime import serde, shared

SerdeType = Literal["STRING", "INTEGER", "FLOAT", "DOUBLE", "LONG", "SHORT", "BYTE_ARRAY", "BYTE_BUFFER", "BYTES", "UUID", "VOID", "JSON", "AVRO"]

_NUMBERS = {"INTEGER": ">i", "LONG": ">q", "SHORT": ">h", "FLOAT": ">f", "DOUBLE": ">d"}  # Java's big-endian layouts


def deserialize(data: bytes | None, serde_type: str) -> Any:
    """A key or value as the Java serializer of `serde_type` wrote it; JSON-safe."""
    if data is None or serde_type == "VOID":
        return None
    if serde_type in _NUMBERS:
        fmt = _NUMBERS[serde_type]
        if len(data) != struct.calcsize(fmt):
            raise serde.UndecodableMessage(f"{serde_type} needs {struct.calcsize(fmt)} bytes, got {len(data)}")
        return struct.unpack(fmt, data)[0]
    if serde_type in ("BYTE_ARRAY", "BYTE_BUFFER", "BYTES"):
        return base64.b64encode(data).decode("ascii")
    if serde_type == "JSON":
        return serde.decode(data, "JSON")
    return data.decode("utf-8", errors="replace")  # STRING, UUID (written as its text)


# Kestra's (Java client) consumer property → aiokafka option, and how its text becomes the option's value.
_OPTIONS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "bootstrap.servers": ("bootstrap_servers", lambda v: [s.strip() for s in v.split(",") if s.strip()]),
    "client.id": ("client_id", str),
    "group.instance.id": ("group_instance_id", str),
    "auto.offset.reset": ("auto_offset_reset", str),
    "security.protocol": ("security_protocol", str.upper),
    "sasl.mechanism": ("sasl_mechanism", str.upper),
    "sasl.kerberos.service.name": ("sasl_kerberos_service_name", str),
    "isolation.level": ("isolation_level", str),
    "client.rack": ("client_rack", str),
    **{name: (name.replace(".", "_"), int) for name in (
        "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms", "max.poll.records", "request.timeout.ms",
        "fetch.max.wait.ms", "fetch.min.bytes", "fetch.max.bytes", "max.partition.fetch.bytes", "metadata.max.age.ms",
        "connections.max.idle.ms", "retry.backoff.ms",
    )},
}
_SSL = ("ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.key.password", "ssl.endpoint.identification.algorithm")
_JAAS = re.compile(r'(username|password)\s*=\s*"((?:[^"\\]|\\.)*)"')


def consumer_options(properties: dict[str, Any], group_id: str) -> dict[str, Any]:
    """aiokafka consumer options for Kestra's `properties` map (ValueError naming an unknown property)."""
    options: dict[str, Any] = {"group_id": group_id, "enable_auto_commit": False}
    ssl_files: dict[str, str] = {}
    for name, raw in properties.items():
        value = str(raw)
        if name in _OPTIONS:
            option, convert = _OPTIONS[name]
            try:
                options[option] = convert(value)
            except ValueError:
                raise ValueError(f"properties.{name}: {value!r} is not a number") from None
        elif name == "sasl.jaas.config":
            found = {k: v.replace('\\"', '"') for k, v in _JAAS.findall(value)}
            options |= {"sasl_plain_username": found.get("username"), "sasl_plain_password": found.get("password")}
        elif name in _SSL:
            ssl_files[name] = value
        elif name == "enable.auto.commit":
            if value.lower() == "true":
                raise ValueError("properties.enable.auto.commit: the trigger commits each offset once its execution exists; remove this property")
        elif name not in ("key.deserializer", "value.deserializer"):  # set by keyDeserializer/valueDeserializer
            known = ", ".join(sorted([*_OPTIONS, "sasl.jaas.config", *_SSL]))
            raise ValueError(f"properties.{name} is not supported (supported: {known})")
    if "bootstrap_servers" not in options:
        raise ValueError("properties.bootstrap.servers is required (host:port, comma-separated)")
    if ssl_files or str(options.get("security_protocol", "")).endswith("SSL"):
        options["ssl_context"] = _ssl_context(ssl_files)
    return options


def _ssl_context(files: dict[str, str]) -> Any:
    import ssl

    context = ssl.create_default_context(cafile=files.get("ssl.ca.location"))
    if "ssl.certificate.location" in files:
        context.load_cert_chain(files["ssl.certificate.location"], files.get("ssl.key.location"), files.get("ssl.key.password"))
    if files.get("ssl.endpoint.identification.algorithm", "https") == "":
        context.check_hostname = False
    return context


class OnSerdeError(Frozen):
    type: Literal["SKIPPED"] = Field(default="SKIPPED", description="SKIPPED: log and skip a record that does not deserialize (DLQ and STORE are not supported).")
    topic: str | None = Field(default=None, description="Kestra compatibility (DLQ): unused.")


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
    def _no_avro(cls, value: str) -> str:
        if value == "AVRO":
            raise ValueError("AVRO needs a schema registry client, which Legato does not ship; produce JSON or STRING instead")
        return value

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


def record_variables(record: Any, key_serde: str, value_serde: str) -> dict[str, Any]:
    """trigger.* of a consumed record, with Kestra's names; headers as a list of {name: value}."""
    return {
        "key": deserialize(record.key, key_serde),
        "value": deserialize(record.value, value_serde),
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": serde.iso(record.timestamp / 1000) if record.timestamp is not None and record.timestamp >= 0 else None,
        "headers": [{str(name): serde.text(value) if isinstance(value, bytes) else value} for name, value in record.headers or ()],
    }

