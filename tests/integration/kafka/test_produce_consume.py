"""kafka.Produce and kafka.Consume with aiokafka against the Kafka broker double (`broker_double.py`; no Kafka
broker installs here): records from a list and from a stored ION file reach the topic with their keys, values,
headers and Java serializer layouts, and come back in Consume's file; consumer groups, `since`, `maxRecords`,
header filters, serde errors; an unknown broker address fails the task clearly."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from pydantic import ValidationError
from tests.integration.kafka.broker_double import BrokerDouble
from tests.integration.objectstore_support import Tasks

from legato.plugins.context import TaskFailed


def props(broker: BrokerDouble) -> str:
    return f"properties:\n  bootstrap.servers: {broker.bootstrap}\n"


def lines(tasks: Tasks, uri: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in tasks.read(uri).decode().splitlines()]


def test_produce_a_list_then_consume_it_back(broker: BrokerDouble, tasks: Tasks) -> None:
    out = tasks.run(f"""
id: produce
type: io.kestra.plugin.kafka.Produce
{props(broker)}topic: orders
keySerializer: STRING
valueSerializer: JSON
from:
  - key: "order-{{{{ 40 + 2 }}}}"
    value: {{id: 42, total: 12.5}}
    headers:
      source: legato
    timestamp: "2026-01-02T03:04:05Z"
  - key: order-43
    value: [1, 2]
""")
    assert out == {"messagesCount": 2}
    stored = broker.topic("orders")[0].records()
    assert [(r.key, r.value, r.headers) for r in stored] == [
        (b"order-42", b'{"id":42,"total":12.5}', [("source", b"legato")]), (b"order-43", b"[1,2]", [])]
    assert stored[0].timestamp == 1767323045000

    out = tasks.run(f"id: consume\ntype: io.kestra.plugin.kafka.Consume\n{props(broker)}topic: orders\nvalueDeserializer: JSON\npollDuration: PT1S\n")
    assert out["messagesCount"] == 2 and out["uri"].endswith(".ion")
    assert lines(tasks, out["uri"]) == [
        {"key": "order-42", "value": {"id": 42, "total": 12.5}, "topic": "orders", "partition": 0, "offset": 0,
         "timestamp": "2026-01-02T03:04:05Z", "headers": [{"source": "legato"}]},
        {"key": "order-43", "value": [1, 2], "topic": "orders", "partition": 0, "offset": 1,
         "timestamp": lines(tasks, out["uri"])[1]["timestamp"], "headers": []},
    ]


def test_produce_from_a_stored_file_with_java_layouts(broker: BrokerDouble, tasks: Tasks) -> None:
    uri = tasks.put("rows.ion", b'{"key": 7, "value": {"name": "a"}, "headers": [{"kind": "x"}]}\n'
                                b'{"key": 8, "value": {"name": "b"}, "topic": "other", "partition": 0}\n')
    out = tasks.run(f"id: p\ntype: io.kestra.plugin.kafka.Produce\n{props(broker)}topic: rows\nfrom: \"{uri}\"\n"
                    "keySerializer: INTEGER\nvalueSerializer: JSON\ntransactional: false\n")
    assert out == {"messagesCount": 2}
    assert [(r.key, r.value, r.headers) for r in broker.topic("rows")[0].records()] == [
        (struct.pack(">i", 7), b'{"name":"a"}', [("kind", b"x")])]
    assert [r.key for r in broker.topic("other")[0].records()] == [struct.pack(">i", 8)]

    out = tasks.run(f"id: c\ntype: io.kestra.plugin.kafka.Consume\n{props(broker)}topic: [rows, other]\n"
                    "keyDeserializer: INTEGER\nvalueDeserializer: JSON\npollDuration: PT1S\n")
    assert out["messagesCount"] == 2
    assert [(m["topic"], m["key"], m["value"], m["headers"]) for m in lines(tasks, out["uri"])] == [
        ("other", 8, {"name": "b"}, []), ("rows", 7, {"name": "a"}, [{"kind": "x"}])]


def test_a_consumed_file_can_be_produced_again_to_its_topics(broker: BrokerDouble, tasks: Tasks) -> None:
    tasks.run(f"id: p\ntype: kafka.Produce\n{props(broker)}topic: a\nfrom: {{key: k, value: v, headers: {{h: '1'}}}}\n")
    consumed = tasks.run(f"id: c\ntype: kafka.Consume\n{props(broker)}topic: a\npollDuration: PT1S\n")
    out = tasks.run(f"id: p2\ntype: kafka.Produce\n{props(broker)}topic: b\nfrom: \"{consumed['uri']}\"\n")
    assert out == {"messagesCount": 1}
    # each line names its topic, which wins over the task's (as in Kestra)
    assert [(r.key, r.value, r.headers) for r in broker.topic("a")[0].records()] == [(b"k", b"v", [("h", b"1")])] * 2
    assert "b" not in broker.topics


def test_a_group_reads_from_its_committed_offsets(broker: BrokerDouble, tasks: Tasks) -> None:
    produce = f"id: p\ntype: kafka.Produce\n{props(broker)}topic: events\nfrom: [{{value: a}}, {{value: b}}, {{value: c}}]\n"
    tasks.run(produce)
    consume = (f"id: c\ntype: kafka.Consume\n{props(broker)}  auto.offset.reset: earliest\ntopic: events\ngroupId: reports\n"
               "pollDuration: PT1S\nmaxRecords: 2\n")
    first = tasks.run(consume)
    assert [m["value"] for m in lines(tasks, first["uri"])] == ["a", "b"]
    assert broker.groups["reports"].offsets == {("events", 0): 2}
    second = tasks.run(consume)
    assert [m["value"] for m in lines(tasks, second["uri"])] == ["c"]
    assert tasks.run(consume)["messagesCount"] == 0


def test_since_partitions_and_header_filters(broker: BrokerDouble, tasks: Tasks) -> None:
    tasks.run(f"""id: p
type: kafka.Produce
{props(broker)}topic: t
from:
  - {{value: old, timestamp: "2020-01-01T00:00:00Z", headers: {{region: eu}}}}
  - {{value: new-us, timestamp: "2026-01-01T00:00:00Z", headers: {{region: us}}}}
  - {{value: new-eu, timestamp: "2026-01-02T00:00:00Z", headers: {{region: eu}}}}
""")
    out = tasks.run(f"id: c\ntype: kafka.Consume\n{props(broker)}topic: t\npartitions: [0]\nsince: '2025-06-01T00:00:00Z'\n"
                    "headerFilters:\n  region: eu\npollDuration: PT1S\n")
    assert [m["value"] for m in lines(tasks, out["uri"])] == ["new-eu"] and out["messagesCount"] == 1


def test_a_value_that_does_not_deserialize(broker: BrokerDouble, tasks: Tasks) -> None:
    tasks.run(f"id: p\ntype: kafka.Produce\n{props(broker)}topic: j\nfrom: [{{value: not json}}, {{value: '{{\"ok\": 1}}'}}]\n")
    consume = f"id: c\ntype: kafka.Consume\n{props(broker)}topic: j\nvalueDeserializer: JSON\npollDuration: PT1S\n"
    with pytest.raises(TaskFailed, match=r"record j\[0\]@0 does not deserialize"):
        tasks.run(consume)
    out = tasks.run(consume + "onSerdeError:\n  type: SKIPPED\n")
    assert [m["value"] for m in lines(tasks, out["uri"])] == [{"ok": 1}]


def test_an_unknown_broker_fails_the_task(tasks: Tasks) -> None:
    unused = "127.0.0.1:1"
    with pytest.raises(TaskFailed, match=r"cannot connect to Kafka at 127\.0\.0\.1:1"):
        tasks.run(f"id: p\ntype: kafka.Produce\nproperties:\n  bootstrap.servers: {unused}\ntopic: t\nfrom: {{value: a}}\n")
    with pytest.raises(TaskFailed, match=r"cannot connect to Kafka at 127\.0\.0\.1:1"):
        tasks.run(f"id: c\ntype: kafka.Consume\nproperties:\n  bootstrap.servers: {unused}\ntopic: t\n")


def test_settings_refused_with_their_reason(broker: BrokerDouble, tasks: Tasks) -> None:
    with pytest.raises(ValidationError, match="AVRO needs a schema registry"):
        tasks.run(f"id: p\ntype: kafka.Produce\n{props(broker)}topic: t\nvalueSerializer: AVRO\nfrom: {{value: a}}\n")
    with pytest.raises(ValidationError, match="groupId` is required with `topicPattern"):
        tasks.run(f"id: c\ntype: kafka.Consume\n{props(broker)}topicPattern: 'x.*'\n")
    with pytest.raises(TaskFailed, match=r"properties\.max\.poll\.records is not supported for a producer"):
        tasks.run(f"id: p\ntype: kafka.Produce\n{props(broker)}  max.poll.records: '5'\ntopic: t\nfrom: {{value: a}}\n")
    with pytest.raises(TaskFailed, match="INTEGER"):
        tasks.run(f"id: p\ntype: kafka.Produce\n{props(broker)}topic: t\nkeySerializer: INTEGER\nfrom: {{key: abc, value: a}}\n")


def test_a_failed_record_aborts_the_transaction(broker: BrokerDouble, tasks: Tasks) -> None:
    body = f"type: kafka.Produce\n{props(broker)}keySerializer: INTEGER\nfrom: [{{key: 1, value: first}}, {{key: abc, value: second}}]\n"
    consume = f"type: kafka.Consume\n{props(broker)}pollDuration: PT1S\n"
    with pytest.raises(TaskFailed, match="record 2: 'abc' cannot be written as INTEGER"):
        tasks.run(f"id: p\ntopic: tx\n{body}")
    assert tasks.run(f"id: c\ntopic: tx\n{consume}")["messagesCount"] == 0  # the first record was rolled back
    with pytest.raises(TaskFailed, match="record 2"):
        tasks.run(f"id: p2\ntopic: plain\ntransactional: false\n{body}")
    out = tasks.run(f"id: c2\ntopic: plain\n{consume}")
    assert [m["value"] for m in lines(tasks, out["uri"])] == ["first"]  # without a transaction, it stays


def test_records_from_an_expression_are_data_not_templates(broker: BrokerDouble, tasks: Tasks) -> None:
    orders = [{"key": "k", "value": "{{ 1 + 1 }}"}]
    out = tasks.run(f"id: p\ntype: kafka.Produce\n{props(broker)}topic: raw\nfrom: \"{{{{ inputs.orders }}}}\"\n", inputs={"orders": orders})
    assert out == {"messagesCount": 1}
    assert [r.value for r in broker.topic("raw")[0].records()] == [b"{{ 1 + 1 }}"]
    # group.id in `properties` is the group, as Kestra reads it when groupId is unset
    consume = f"id: c\ntype: kafka.Consume\n{props(broker)}  group.id: from-props\n  auto.offset.reset: earliest\ntopic: raw\npollDuration: PT1S\n"
    assert tasks.run(consume)["messagesCount"] == 1
    assert broker.groups["from-props"].offsets == {("raw", 0): 1}
    with pytest.raises(ValidationError, match="share groups"):
        tasks.run(f"id: c\ntype: kafka.Consume\n{props(broker)}topic: raw\ngroupId: g\ngroupType: SHARE\n")
