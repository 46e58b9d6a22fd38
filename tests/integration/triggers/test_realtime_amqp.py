"""AMQP realtime source against the RabbitMQ on 127.0.0.1:5672 (guest/guest)."""

from __future__ import annotations

import asyncio
import json

import aio_pika
import pytest
from tests.builders import log_flow
from tests.integration.triggers.realtime_support import Consumer, context, unique, values
from tests.services import require

from legato.flows import parse_flow

URL = "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture(autouse=True)
def _rabbitmq() -> None:
    require("rabbitmq")


def trigger(body: str):  # type: ignore[no-untyped-def]
    flow = parse_flow(log_flow(namespace="tests.realtime", after=f"triggers:\n{body}"))
    return flow.triggers[0]


async def _declare(queue: str) -> None:
    connection = await aio_pika.connect(URL)
    channel = await connection.channel()
    await channel.declare_queue(queue, durable=True)
    await connection.close()


async def _publish(queue: str, bodies: list[bytes], **properties: object) -> None:
    connection = await aio_pika.connect(URL)
    channel = await connection.channel()
    for body in bodies:
        await channel.default_exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, **properties), routing_key=queue)  # type: ignore[arg-type]
    await connection.close()


def test_queue_messages_survive_a_consumer_restart_and_acked_ones_do_not_come_back() -> None:
    queue = unique("legato_q")
    model = trigger(
        f"  - id: watch\n    type: io.kestra.plugin.amqp.RealtimeTrigger\n    host: 127.0.0.1\n    port: 5672\n"
        f"    username: guest\n    password: \"{{{{ rabbit_password }}}}\"\n    queue: {queue}\n    serdeType: JSON\n    prefetchCount: 1\n"
    )
    ctx = context({"rabbit_password": "guest"})

    async def main() -> None:
        await _declare(queue)
        await _publish(queue, [json.dumps({"n": i}).encode() for i in range(10)])
        first = Consumer(model.source(), ctx, ack_first=4)
        await first.wait_for(5)  # 4 acknowledged, the 5th held unacknowledged when the consumer stops
        await first.stop()
        await _publish(queue, [json.dumps({"n": i}).encode() for i in range(10, 15)])
        second = Consumer(model.source(), ctx)
        got = await second.wait_for(11)
        await second.quiet(0.5)
        await second.stop()
        assert values(first.acked, "data") == [{"n": i} for i in range(4)]
        assert values(got, "data") == [{"n": i} for i in range(4, 15)]
        assert got[0].variables["redelivered"] is True and got[1].variables["redelivered"] is False
        connection = await aio_pika.connect(URL)
        channel = await connection.channel()
        left = await channel.declare_queue(queue, passive=True)
        assert left.declaration_result.message_count == 0
        await left.delete(if_unused=False, if_empty=False)
        await connection.close()

    asyncio.run(main())


def test_message_properties_become_trigger_variables() -> None:
    queue = unique("legato_q")
    model = trigger(f"  - id: watch\n    type: amqp.RealtimeTrigger\n    url: {URL}\n    queue: {queue}\n")

    async def main() -> None:
        await _declare(queue)
        await _publish(queue, ["héllo".encode()], headers={"tenant": "acme", "n": 3}, message_id="m-1",
                       correlation_id="c-1", content_type="text/plain", app_id="shop", expiration=60)
        consumer = Consumer(model.source(), context())
        (message,) = await consumer.wait_for(1)
        await consumer.stop()
        variables = message.variables
        assert variables["data"] == "héllo"
        assert variables["headers"] == {"tenant": "acme", "n": "3"}
        assert (variables["messageId"], variables["correlationId"], variables["contentType"], variables["appId"]) == ("m-1", "c-1", "text/plain", "shop")
        assert variables["expiration"] == "PT1M"
        assert variables["routingKey"] == queue
        json.dumps(variables)  # stored with the execution: JSON-safe
        connection = await aio_pika.connect(URL)
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await connection.close()

    asyncio.run(main())


def test_a_missing_queue_is_an_error_that_names_it() -> None:
    model = trigger(f"  - id: watch\n    type: amqp.RealtimeTrigger\n    host: 127.0.0.1\n    queue: {unique('absent')}\n")

    async def main() -> None:
        consumer = Consumer(model.source(), context())
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity, match="absent_"):
            await consumer.wait_for(1, timeout=10)

    asyncio.run(main())
