"""Each durable realtime trigger in a deployed flow, run by the scheduler inside a runtime (what `legato server
local` runs) against the real service: N messages → N executions with the payload in trigger.*, then the
runtime stops, more messages are published while it is down, a new runtime starts: none lost, none twice."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import aiomqtt
import nats
import pytest
import redis.asyncio
from tests.integration.triggers.polling_support import Server, all_ended, deploy_flow, executions, wait_until
from tests.integration.triggers.realtime_support import unique
from tests.services import require

from legato.model.state import State
from legato.store.ports import MAIN
from legato.store.sql import SqlStore

NAMESPACE = "tests.realtime.e2e"
REDIS = "redis://127.0.0.1:6379/0"
AMQP = "amqp://guest:guest@127.0.0.1:5672/"
NATS = "nats://127.0.0.1:4222"


@dataclass
class Kind:
    service: str
    trigger: Callable[[str], str]  # name → trigger YAML (indented under `triggers:`)
    field: str  # the trigger.* variable holding the payload
    setup: Callable[[str], Awaitable[None]]  # create the queue/stream the trigger reads
    publish: Callable[[str, list[str]], Awaitable[None]]
    subscribes: bool = False  # the broker keeps messages only once the consumer subscribed (MQTT session)


async def _nothing(name: str) -> None:
    return None


async def _redis_list_push(name: str, payloads: list[str]) -> None:
    client = redis.asyncio.from_url(REDIS)
    await client.rpush(name, *payloads)
    await client.aclose()


async def _redis_stream_add(name: str, payloads: list[str]) -> None:
    client = redis.asyncio.from_url(REDIS)
    for payload in payloads:
        await client.xadd(name, {"body": payload})
    await client.aclose()


async def _amqp_declare(name: str) -> None:
    connection = await aio_pika.connect(AMQP)
    await (await connection.channel()).declare_queue(name, durable=True)
    await connection.close()


async def _amqp_publish(name: str, payloads: list[str]) -> None:
    connection = await aio_pika.connect(AMQP)
    channel = await connection.channel()
    for payload in payloads:
        await channel.default_exchange.publish(aio_pika.Message(payload.encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=name)
    await connection.close()


async def _mqtt_publish(name: str, payloads: list[str]) -> None:
    async with aiomqtt.Client("127.0.0.1", 1883, identifier=unique("publisher")) as client:
        for payload in payloads:
            await client.publish(name, payload, qos=1)


async def _nats_stream(name: str) -> None:
    connection = await nats.connect(NATS)
    await connection.jetstream().add_stream(name=name, subjects=[f"{name}.>"])
    await connection.close()


async def _nats_publish(name: str, payloads: list[str]) -> None:
    connection = await nats.connect(NATS)
    jetstream = connection.jetstream()
    for payload in payloads:
        await jetstream.publish(f"{name}.in", payload.encode())
    await connection.close()


KINDS = {
    "redis-list": Kind("redis", lambda n: f"type: io.kestra.plugin.redis.list.RealtimeTrigger\n    url: {REDIS}\n    key: {n}\n    serdeType: JSON",
                       "value", _nothing, _redis_list_push),
    "redis-stream": Kind("redis", lambda n: f"type: redis.stream.RealtimeTrigger\n    url: {REDIS}\n    key: {n}\n    group: g\n    startId: \"0\"\n    serdeType: JSON",
                         "value", _nothing, _redis_stream_add),
    "amqp": Kind("rabbitmq", lambda n: f"type: io.kestra.plugin.amqp.RealtimeTrigger\n    host: 127.0.0.1\n    username: guest\n"
                                       f"    password: \"{{{{ secret('RABBITMQ_PASSWORD') }}}}\"\n    queue: {n}\n    serdeType: JSON",
                 "data", _amqp_declare, _amqp_publish),
    "mqtt": Kind("mqtt", lambda n: f"type: io.kestra.plugin.mqtt.RealtimeTrigger\n    server: tcp://127.0.0.1:1883\n    topic: {n}",
                 "payload", _nothing, _mqtt_publish, subscribes=True),
    "nats-jetstream": Kind("nats", lambda n: f"type: io.kestra.plugin.nats.RealtimeTrigger\n    url: {NATS}\n    subject: {n}.>\n    durableId: legato\n    serdeType: JSON",
                           "data", _nats_stream, _nats_publish),
}


def _numbers(store: SqlStore, field: str) -> list[int]:
    found = []
    for execution in executions(store, NAMESPACE):
        payload = (execution.trigger or {})[field]
        found.append(payload["body"]["n"] if isinstance(payload, dict) and "body" in payload else payload["n"])
    return sorted(found)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_deployed_realtime_trigger_fires_once_per_message_across_a_restart(kind: str, sqlite_store: SqlStore, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    spec = KINDS[kind]
    require(spec.service)
    monkeypatch.setenv("SECRET_RABBITMQ_PASSWORD", base64.b64encode(b"guest").decode())  # the amqp trigger's password
    name = unique("legato_e2e")
    deploy_flow(sqlite_store, f"id: consume\nnamespace: {NAMESPACE}\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n"
                              f"    message: \"got {{{{ trigger.{spec.field} }}}}\"\ntriggers:\n  - id: watch\n    {spec.trigger(name)}\n")
    first_batch = [json.dumps({"n": i}) for i in range(6)]
    second_batch = [json.dumps({"n": i}) for i in range(6, 10)]

    async def main() -> None:
        await spec.setup(name)
        if not spec.subscribes:
            await spec.publish(name, first_batch)
        first = Server(sqlite_store, tmp_path).start()
        if spec.subscribes:
            await wait_until(lambda: (MAIN, NAMESPACE, "consume", "watch") in first.sources.tasks, message="the consumer")
            await asyncio.sleep(1.5)  # subscribed: the broker session now keeps messages for this trigger
            await spec.publish(name, first_batch)
        await wait_until(lambda: all_ended(sqlite_store, NAMESPACE, 6), message="6 executions")
        await first.stop()
        await spec.publish(name, second_batch)  # while no runtime runs
        second = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: all_ended(sqlite_store, NAMESPACE, 10), message="10 executions")
        await asyncio.sleep(0.5)  # nothing more comes
        await second.stop()

    asyncio.run(main())
    assert _numbers(sqlite_store, spec.field) == list(range(10))  # none lost, none twice
    assert {e.state for e in executions(sqlite_store, NAMESPACE)} == {State.SUCCESS}
