"""kafka.RealtimeTrigger and kafka.Trigger with aiokafka's consumer against the Kafka broker double (broker_double.py): records sent by
kafka.Produce arrive as trigger variables, the group's offset advances only with each acknowledgement, and a new
consumer of the group starts after the last acknowledged record."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from tests.builders import log_flow
from tests.integration.kafka.broker_double import BrokerDouble
from tests.integration.objectstore_support import Tasks
from tests.integration.triggers.realtime_support import Consumer, context, values

from legato.flows import parse_flow
from legato.plugins.triggers.base import TriggerContext
from legato.plugins.triggers.realtime.kafka import KafkaTrigger
from legato.storage import LocalStorage


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


def test_the_batch_trigger_commits_a_batch_once_recorded(broker: BrokerDouble, tasks: Tasks, tmp_path: Path) -> None:
    """kafka.Trigger polled directly, as the NATS batch test does: an unrecorded batch comes back at the next poll."""
    tasks.run(f"id: p\ntype: kafka.Produce\nproperties:\n  bootstrap.servers: {broker.bootstrap}\ntopic: batch\n"
              "valueSerializer: JSON\nfrom: [{value: {n: 0}}, {value: {n: 1}}, {value: {n: 2}}, {value: {n: 3}}, {value: {n: 4}}]\n")
    flow = parse_flow(log_flow(namespace="tests.kafka", after=(
        "triggers:\n  - id: b\n    type: io.kestra.plugin.kafka.Trigger\n    topic: batch\n    groupId: batches\n"
        f"    properties:\n      bootstrap.servers: {broker.bootstrap}\n      auto.offset.reset: earliest\n"
        "    valueDeserializer: JSON\n    maxRecords: 3\n    maxDuration: PT2S\n")))
    source = flow.triggers[0].source()
    storage = LocalStorage(tmp_path / "batches")
    ctx = TriggerContext(namespace="tests.kafka", flow_id=flow.id, trigger_id="b", render=lambda v: v, state={},
                         log=logging.getLogger("tests"), storage=storage)

    def numbers(poll: Any) -> list[int]:
        return [json.loads(line)["value"]["n"] for line in storage.get(poll.variables["uri"]).decode().splitlines()]

    async def main() -> None:
        first = await source.poll(ctx)
        assert first is not None and numbers(first) == [0, 1, 2]
        await first.commit()
        assert broker.groups["batches"].offsets == {("batch", 0): 3}
        dropped = await source.poll(ctx)  # its execution is never recorded: no commit
        assert dropped is not None and numbers(dropped) == [3, 4]
        again = await source.poll(ctx)  # the unsettled batch is let go: its records come back
        assert again is not None and numbers(again) == [3, 4]
        await again.commit()
        assert broker.groups["batches"].offsets == {("batch", 0): 5}
        assert await source.poll(ctx) is None

    asyncio.run(main())
