"""Kafka realtime trigger: no broker runs on this machine, so this is a contract test of Legato's side of it —
Kestra's properties → aiokafka options, record → trigger.* mapping with Java serializer layouts, and offsets
committed only once a message is acknowledged. `InMemoryConsumer` is a stand-in for aiokafka's consumer over
one partition log (named as such; it is not a broker)."""

from __future__ import annotations

import asyncio
import json
import struct
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord, OffsetAndTimestamp
from tests.builders import log_flow
from tests.integration.triggers.realtime_support import Consumer, context

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.plugins.kafka.client import consumer_options, deserialize, record_variables
from legato.plugins.triggers.realtime.kafka import KafkaTrigger


def trigger(body: str) -> KafkaTrigger:
    flow = parse_flow(log_flow(namespace="tests.realtime", after=f"triggers:\n{body}"))
    model = flow.triggers[0]
    assert isinstance(model, KafkaTrigger)
    return model


def record(offset: int, value: bytes | None, key: bytes | None = b"k", headers: tuple[tuple[str, bytes], ...] = ()) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(topic="orders", partition=0, offset=offset, timestamp=1_700_000_000_000 + offset, timestamp_type=0,
                          key=key, value=value, checksum=None, serialized_key_size=-1, serialized_value_size=-1, headers=headers)


class InMemoryConsumer:
    """Stand-in for AIOKafkaConsumer over one partition: reads from the group's committed offset, records commits."""

    def __init__(self, log: list[ConsumerRecord[Any, Any]], committed: dict[TopicPartition, int]) -> None:
        self.log, self.committed_offsets, self.started, self.stopped = log, committed, False, False
        self.subscribed: list[str] = []
        self._position = committed.get(TopicPartition("orders", 0), 0)

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    def subscribe(self, topics: list[str] | None = None, pattern: str | None = None) -> None:
        self.subscribed = list(topics or [pattern or ""])

    async def getone(self) -> ConsumerRecord[Any, Any]:
        while self._position >= len(self.log):
            await asyncio.sleep(0.01)
        self._position += 1
        return self.log[self._position - 1]

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committed_offsets.update(offsets)

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.subscribed = [f"{tp.topic}[{tp.partition}]" for tp in partitions]

    async def committed(self, tp: TopicPartition) -> int | None:
        return self.committed_offsets.get(tp)

    async def offsets_for_times(self, times: dict[TopicPartition, int]) -> dict[TopicPartition, Any]:
        found = {}
        for tp, ms in times.items():
            first = next((r for r in self.log if r.timestamp >= ms), None)
            found[tp] = None if first is None else OffsetAndTimestamp(first.offset, first.timestamp)
        return found

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self._position = offset


def test_offsets_are_committed_only_after_ack_and_unacked_records_are_read_again() -> None:
    model = trigger("  - id: watch\n    type: io.kestra.plugin.kafka.RealtimeTrigger\n    topic: orders\n    groupId: legato\n"
                    "    properties:\n      bootstrap.servers: localhost:9092\n    valueDeserializer: JSON\n")
    log = [record(i, json.dumps({"n": i}).encode()) for i in range(8)]
    committed: dict[TopicPartition, int] = {}

    class Source:
        def __init__(self, consumer: InMemoryConsumer) -> None:
            self.consumer = consumer

        def messages(self, ctx: Any) -> Any:
            return model.consume(self.consumer, ctx)

    async def main() -> None:
        first_consumer = InMemoryConsumer(log, committed)
        first = Consumer(Source(first_consumer), context(), ack_first=3)
        got = await first.wait_for(5)
        await first.stop()
        assert first_consumer.subscribed == ["orders"] and first_consumer.stopped
        assert committed == {TopicPartition("orders", 0): 3}  # the offset after the last acknowledged record
        assert [m.key for m in got] == [f"orders:0:{i}" for i in range(5)]
        second = Consumer(Source(InMemoryConsumer(log, committed)), context())
        again = await second.wait_for(5)
        await second.stop()
        assert [m.variables["value"] for m in again] == [{"n": i} for i in range(3, 8)]
        assert committed == {TopicPartition("orders", 0): 8}

    asyncio.run(main())


def test_since_with_assigned_partitions_starts_at_the_first_record_from_that_date() -> None:
    model = trigger("  - id: watch\n    type: kafka.RealtimeTrigger\n    topic: orders\n    partitions: [0]\n    groupId: g\n"
                    "    properties: {bootstrap.servers: 'h:9092'}\n    since: '2023-11-14T22:13:20.005Z'\n")
    log = [record(i, f"v{i}".encode()) for i in range(8)]  # record i has timestamp ...20.000Z + i ms
    fake = InMemoryConsumer(log, {})

    class Source:
        def messages(self, ctx: Any) -> Any:
            return model.consume(fake, ctx)

    async def main() -> None:
        consumer = Consumer(Source(), context())
        got = await consumer.wait_for(3)
        await consumer.stop()
        assert fake.subscribed == ["orders[0]"]
        assert [m.variables["value"] for m in got] == ["v5", "v6", "v7"]

    asyncio.run(main())


def test_a_record_that_does_not_deserialize_is_skipped_and_committed() -> None:
    model = trigger("  - id: watch\n    type: kafka.RealtimeTrigger\n    topic: orders\n    groupId: g\n    properties: {bootstrap.servers: 'h:9092'}\n    valueDeserializer: JSON\n")
    committed: dict[TopicPartition, int] = {}

    class Source:
        def messages(self, ctx: Any) -> Any:
            return model.consume(InMemoryConsumer([record(0, b"{broken"), record(1, b"[1]")], committed), ctx)

    async def main() -> None:
        consumer = Consumer(Source(), context())
        (message,) = await consumer.wait_for(1)
        await consumer.stop()
        assert message.variables["value"] == [1]
        assert committed == {TopicPartition("orders", 0): 2}

    asyncio.run(main())


def test_record_variables_use_kestra_names_and_java_layouts() -> None:
    variables = record_variables(record(7, struct.pack(">q", -42), key=struct.pack(">i", 12), headers=(("tenant", b"acme"),)), "INTEGER", "LONG")
    assert variables == {"key": 12, "value": -42, "topic": "orders", "partition": 0, "offset": 7,
                         "timestamp": "2023-11-14T22:13:20.007000Z", "headers": [{"tenant": "acme"}]}
    ident = uuid.uuid4()
    assert deserialize(str(ident).encode(), "UUID") == str(ident)
    assert deserialize(struct.pack(">d", 2.5), "DOUBLE") == 2.5
    assert deserialize(struct.pack(">h", 7), "SHORT") == 7
    assert deserialize(b"\x00\xff", "BYTES") == "AP8="
    assert deserialize(b"anything", "VOID") is None
    assert deserialize(None, "STRING") is None
    json.dumps(variables)


def test_kestra_properties_become_aiokafka_options() -> None:
    options = consumer_options({
        "bootstrap.servers": "a:9092, b:9092", "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256",
        "sasl.jaas.config": 'org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" password="p\\"w";',
        "auto.offset.reset": "earliest", "max.poll.records": "50",
    }, "grp")
    assert options == {"group_id": "grp", "enable_auto_commit": False, "bootstrap_servers": ["a:9092", "b:9092"],
                       "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-256", "sasl_plain_username": "svc",
                       "sasl_plain_password": 'p"w', "auto_offset_reset": "earliest", "max_poll_records": 50}

    async def build() -> AIOKafkaConsumer:
        return AIOKafkaConsumer(**options)  # options aiokafka accepts (it connects only at start())

    assert asyncio.run(build())._group_id == "grp"
    with pytest.raises(ValueError, match=r"properties\.linger\.ms is not supported"):
        consumer_options({"bootstrap.servers": "a:9092", "linger.ms": "5"}, "g")
    with pytest.raises(ValueError, match=r"enable\.auto\.commit"):
        consumer_options({"bootstrap.servers": "a:9092", "enable.auto.commit": "true"}, "g")
    with pytest.raises(ValueError, match=r"bootstrap\.servers is required"):
        consumer_options({}, "g")


def test_avro_is_refused_when_the_flow_is_validated() -> None:
    with pytest.raises(FlowValidationError, match="AVRO needs a schema registry"):
        trigger("  - id: watch\n    type: kafka.RealtimeTrigger\n    topic: t\n    groupId: g\n    properties: {bootstrap.servers: 'h:9092'}\n    valueDeserializer: AVRO\n")
