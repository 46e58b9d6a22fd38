"""`kafka.Produce`: send records to Kafka topics (aiokafka). `from` is one record map, a list of them, or the
internal-storage URI of an ION file of one per line (what `Consume` writes, so a consumed file can be sent
on); a record is `key`, `value`, and optionally `topic` (else the task's), `partition`, `timestamp` (epoch
milliseconds or ISO-8601) and `headers` (a map, or Consume's list of one-entry maps). Keys and values are
laid out as Kafka's Java serializers do (`keySerializer`/`valueSerializer`, STRING by default). As in Kestra,
the records are sent in one transaction (`transactional: true`, the default): all or none become visible to
read_committed consumers. Output `messagesCount`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, field_validator

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.kafka import client
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_bool


def _records(ctx: RunContext, value: Any) -> Iterator[dict[str, Any]]:
    """The record maps of `from`: a map or a list of maps written in the flow (rendered), or an expression giving
    one, JSON text of one, or a stored file of one per line (data, never rendered as a template)."""
    items = ctx.render(value)
    if isinstance(value, str) and isinstance(items, str):
        if items.strip().startswith("kestra://"):
            with stream.opened(ctx, items.strip()) as handle:
                yield from (_record(item) for item in stream.items(handle))
            return
        try:
            items = json.loads(items)
        except ValueError:
            raise TaskFailed("property 'from' must be a record map, a list of them or an internal-storage URI") from None
    for item in items if isinstance(items, list) else [items]:
        yield _record(item)


def _record(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise TaskFailed(f"property 'from': each record must be a map with `key`/`value`, not {type(item).__name__}")
    return item


def timestamp_ms(value: Any) -> int | None:
    """A record's `timestamp` in epoch milliseconds (an integer as is, ISO-8601 text converted)."""
    if value is None or isinstance(value, int):
        return value
    text = str(value)
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        raise TaskFailed(f"record timestamp {text!r} is neither epoch milliseconds nor an ISO-8601 date") from None


def headers(value: Any) -> list[tuple[str, bytes]]:
    """Kafka headers of a record: a map, or Consume's list of one-entry maps; values sent as UTF-8 text."""
    if value is None:
        return []
    pairs = value.items() if isinstance(value, dict) else [kv for entry in value for kv in entry.items()] if isinstance(value, list) else None
    if pairs is None:
        raise TaskFailed(f"record headers must be a map or a list of maps, not {type(value).__name__}")
    return [(str(k), (v if isinstance(v, str) else json.dumps(v)).encode()) for k, v in pairs if v is not None]


@TASKS.register
class Produce(RunnableTask):
    """Send records to Kafka. Output `messagesCount`."""

    TYPE: ClassVar[str] = "kafka.Produce"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.kafka.Produce",)
    REQUIRES: ClassVar[tuple[str, ...]] = ("aiokafka",)
    EXTRA: ClassVar[str] = "kafka"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: produce
type: io.kestra.plugin.kafka.Produce
properties:
  bootstrap.servers: localhost:9092
topic: orders
from:
  key: "{{ execution.id }}"
  value: "Hello, World!"
  timestamp: "{{ execution.startDate }}"
  headers:
    x-header: some value
keySerializer: STRING
valueSerializer: STRING
""",
        """\
id: produce_file
type: io.kestra.plugin.kafka.Produce
properties:
  bootstrap.servers: localhost:9092
topic: orders
from: "{{ outputs.transform.uri }}"
valueSerializer: JSON
""",
    )

    properties: dict[str, str | int | bool] = Field(description="Kafka client properties (rendered), Java client names: bootstrap.servers (required), security.protocol, sasl.mechanism, sasl.jaas.config, ssl.ca.location, acks, compression.type, linger.ms, ...")
    serdeProperties: dict[str, Any] = Field(default_factory=dict, description="Kestra compatibility: schema registry settings, unused (AVRO is not supported).")
    topic: str | None = Field(default=None, description="Topic to send to (rendered), unless a record names its own `topic`.")
    from_: Any = Field(alias="from", description="One record map (key, value, topic, partition, timestamp, headers), a list of them, or the internal-storage URI of an ION file of one per line.")
    keySerializer: client.SerdeType | Expression = Field(default="STRING", description="How keys are written: STRING, INTEGER, LONG, SHORT, FLOAT, DOUBLE (Java's big-endian layouts), BYTE_ARRAY/BYTE_BUFFER/BYTES (base64 text in, raw bytes out), UUID, VOID, JSON.")
    valueSerializer: client.SerdeType | Expression = Field(default="STRING", description="How values are written (the same choices as keySerializer).")
    keyAvroSchema: str | None = Field(default=None, description="Kestra compatibility: AVRO is not supported.")
    valueAvroSchema: str | None = Field(default=None, description="Kestra compatibility: AVRO is not supported.")
    transactional: bool | Expression = Field(default=True, description="Send all records in one transaction (a generated transactional.id): they become visible together, or not at all when one fails.")

    @field_validator("keySerializer", "valueSerializer")
    @classmethod
    def _no_registry(cls, value: str) -> str:
        return client.refuse_registry(value)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        from aiokafka import AIOKafkaProducer
        from aiokafka.errors import KafkaError

        key_serde = str(render_as(ctx, self.keySerializer, client.SerdeType, "keySerializer"))
        value_serde = str(render_as(ctx, self.valueSerializer, client.SerdeType, "valueSerializer"))
        for serde_type in (key_serde, value_serde):
            client.refuse_registry(serde_type)
        try:
            options = client.client_options(ctx.render(dict(self.properties)), "producer")
        except ValueError as exc:
            raise TaskFailed(str(exc)) from None
        transactional = render_bool(ctx, self.transactional, "transactional")
        if transactional:
            options["transactional_id"] = f"legato-{uuid.uuid4()}"
        default_topic = ctx.render_string(self.topic) if self.topic is not None else None
        producer = AIOKafkaProducer(**options)
        try:
            await producer.start()
        except KafkaError as exc:
            await producer.stop()
            raise TaskFailed(f"cannot connect to Kafka at {','.join(options['bootstrap_servers'])}: {exc}") from None
        try:
            if transactional:
                async with producer.transaction():
                    count = await self._send_all(ctx, producer, default_topic, key_serde, value_serde)
            else:
                count = await self._send_all(ctx, producer, default_topic, key_serde, value_serde)
        except KafkaError as exc:
            raise TaskFailed(f"cannot send to Kafka: {exc}") from None
        finally:
            await producer.stop()
        ctx.effects.extra.setdefault("metrics", []).append({"name": "records", "type": "counter", "value": count, "tags": {}})
        return {"messagesCount": count}

    async def _send_all(self, ctx: RunContext, producer: Any, default_topic: str | None, key_serde: str, value_serde: str) -> int:
        pending: list[Any] = []
        for record in _records(ctx, self.from_):
            topic = str(record["topic"]) if record.get("topic") is not None else default_topic
            if not topic:
                raise TaskFailed("no topic: set `topic` on the task or in each record")
            try:
                key, value = client.serialize(record.get("key"), key_serde), client.serialize(record.get("value"), value_serde)
            except ValueError as exc:
                raise TaskFailed(f"record {len(pending) + 1}: {exc}") from None
            partition = record.get("partition")
            pending.append(await producer.send(
                topic, value=value, key=key, partition=None if partition is None else int(partition),
                timestamp_ms=timestamp_ms(record.get("timestamp")), headers=headers(record.get("headers"))))
        for sent in pending:
            await sent  # a failed send fails the task (and aborts the transaction)
        return len(pending)
