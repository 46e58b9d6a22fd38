"""kafka.RealtimeTrigger with aiokafka's consumer against the Kafka broker double (broker_double.py): records sent by
kafka.Produce arrive as trigger variables, the group's offset advances only with each acknowledgement, and a new
consumer of the group starts after the last acknowledged record."""

from __future__ import annotations

import asyncio

from tests.builders import log_flow
from tests.integration.kafka.broker_double import BrokerDouble
from tests.integration.objectstore_support import Tasks
from tests.integration.triggers.realtime_support import Consumer, context, values

from legato.flows import parse_flow
from legato.plugins.triggers.realtime.kafka import KafkaTrigger


def test_records_fire_and_offsets_follow_the_acknowledgements(broker: BrokerDouble, tasks: Tasks) -> None:
    props = f"properties:\n  bootstrap.servers: {broker.bootstrap}\n"
    tasks.run(f"id: p\ntype: kafka.Produce\n{props}topic: orders\nvalueSerializer: JSON\n"
              "from: [{key: a, value: {n: 1}, headers: {h: x}}, {key: b, value: {n: 2}}, {key: c, value: {n: 3}}]\n")
    flow = parse_flow(log_flow(namespace="tests.kafka", after=(
        "triggers:\n  - id: watch\n    type: io.kestra.plugin.kafka.RealtimeTrigger\n    topic: orders\n    groupId: legato\n"
        f"    properties:\n      bootstrap.servers: {broker.bootstrap}\n      auto.offset.reset: earliest\n"
        "    valueDeserializer: JSON\n")))
    trigger = flow.triggers[0]
    assert isinstance(trigger, KafkaTrigger)

    async def main() -> None:
        first = Consumer(trigger, context(), ack_first=2)
        got = await first.wait_for(3)
        await first.stop()
        assert values(got) == [{"n": 1}, {"n": 2}, {"n": 3}] and values(got, "key") == ["a", "b", "c"]
        assert got[0].variables["headers"] == [{"h": "x"}] and got[0].key == "orders:0:0"
        assert broker.groups["legato"].offsets == {("orders", 0): 2}
        second = Consumer(trigger, context())
        again = await second.wait_for(1)
        await second.stop()
        assert values(again) == [{"n": 3}]
        assert broker.groups["legato"].offsets == {("orders", 0): 3}

    asyncio.run(main())
