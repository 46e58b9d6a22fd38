"""MQTT realtime source against the Mosquitto on 127.0.0.1:1883: QoS 1 with a persistent session."""

from __future__ import annotations

import asyncio
import json

import aiomqtt
import pytest
from tests.builders import log_flow
from tests.integration.triggers.realtime_support import Consumer, context, unique, values
from tests.services import require

from legato.flows import parse_flow


@pytest.fixture(autouse=True)
def _mosquitto() -> None:
    require("mqtt")


def trigger(body: str):  # type: ignore[no-untyped-def]
    flow = parse_flow(log_flow(namespace="tests.realtime", after=f"triggers:\n{body}"))
    return flow.triggers[0]


async def _publish(topic: str, payloads: list[str], qos: int = 1) -> None:
    async with aiomqtt.Client("127.0.0.1", 1883, identifier=unique("publisher")) as client:
        for payload in payloads:
            await client.publish(topic, payload, qos=qos)


@pytest.mark.parametrize("version", ["V3", "V5"])
def test_messages_published_while_the_consumer_is_down_or_unacknowledged_are_delivered(version: str) -> None:
    topic = unique("legato/orders")
    model = trigger(f"  - id: watch\n    type: io.kestra.plugin.mqtt.RealtimeTrigger\n    server: tcp://127.0.0.1:1883\n    version: {version}\n    topic: [\"{{{{ topic }}}}\"]\n")
    ctx = context({"topic": topic})  # the same trigger each run: the same client id, so the same session

    async def main() -> None:
        # A first start creates the broker session and its subscription; from then on the broker keeps
        # QoS 1 messages for this client while it is away.
        bootstrap = Consumer(model.source(), ctx)
        await asyncio.sleep(1.5)
        await bootstrap.stop()
        await _publish(topic, [json.dumps({"n": i}) for i in range(10)])
        first = Consumer(model.source(), ctx, ack_first=4)
        await first.wait_for(5)  # 4 acknowledged, the 5th held unacknowledged when the consumer stops
        await first.stop()
        await _publish(topic, [json.dumps({"n": i}) for i in range(10, 15)])
        second = Consumer(model.source(), ctx)
        got = await second.wait_for(11)
        await second.quiet(0.5)
        await second.stop()
        assert values(first.acked, "payload") == [{"n": i} for i in range(4)]
        assert values(got, "payload") == [{"n": i} for i in range(4, 15)]
        assert {m.variables["topic"] for m in got} == {topic} and {m.variables["qos"] for m in got} == {1}

    asyncio.run(main())


def test_string_payloads_and_user_properties() -> None:
    topic = unique("legato/events")
    model = trigger(f"  - id: watch\n    type: mqtt.RealtimeTrigger\n    server: tcp://127.0.0.1:1883\n    topic: {topic}/#\n    serdeType: STRING\n")

    async def main() -> None:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        consumer = Consumer(model.source(), context())
        await asyncio.sleep(1.0)
        properties = Properties(PacketTypes.PUBLISH)
        properties.UserProperty = [("tenant", "acme")]
        async with aiomqtt.Client("127.0.0.1", 1883, protocol=aiomqtt.ProtocolVersion.V5) as client:
            await client.publish(f"{topic}/a", "plain text", qos=1, properties=properties)
        (message,) = await consumer.wait_for(1)
        await consumer.stop()
        assert message.variables["payload"] == "plain text"
        assert message.variables["topic"] == f"{topic}/a"
        assert message.variables["properties"]["userProperties"] == {"tenant": "acme"}
        json.dumps(message.variables)

    asyncio.run(main())
