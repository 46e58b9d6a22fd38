"""Batch variants of the realtime triggers (Kestra's polling `Trigger` of each system) in a runtime with the
scheduler, against the real services: every message lands in exactly one batch file, across a restart."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aio_pika
import pytest
import redis.asyncio
from tests.integration.triggers.polling_support import Server, all_ended, deploy_flow, executions, wait_until
from tests.integration.triggers.realtime_support import unique
from tests.services import require

from legato.model.state import State
from legato.server.compose import storage_for
from legato.store.sql import SqlStore

NAMESPACE = "tests.realtime.batch"
FLOW = """id: batches
namespace: tests.realtime.batch
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.count }}}} messages in {{{{ trigger.uri }}}}"
triggers:
  - id: batch
    {trigger}
    maxRecords: 4
    maxDuration: PT1S
    interval: PT0.2S
"""


def _batched(store: SqlStore, tmp_path: Path) -> list[int]:
    """Every message of every batch file, in order of appearance; checks each execution's count."""
    storage = storage_for(tmp_path)  # the runtime's internal storage
    found: list[int] = []
    for execution in executions(store, NAMESPACE):
        trigger = execution.trigger or {}
        lines = [json.loads(line) for line in storage.get(trigger["uri"]).decode().splitlines()]
        assert trigger["count"] == trigger["messagesCount"] == len(lines) <= 4
        found += [line["n"] if "n" in line else line["data"]["n"] for line in lines]
    return sorted(found)


async def _push_redis(key: str, numbers: range) -> None:
    client = redis.asyncio.from_url("redis://127.0.0.1:6379/0")
    await client.rpush(key, *[json.dumps({"n": n}) for n in numbers])
    await client.aclose()


async def _publish_amqp(queue: str, numbers: range) -> None:
    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    channel = await connection.channel()
    await channel.declare_queue(queue, durable=True)
    for n in numbers:
        await channel.default_exchange.publish(aio_pika.Message(json.dumps({"n": n}).encode()), routing_key=queue)
    await connection.close()


@pytest.mark.parametrize("kind", ["redis", "amqp"])
def test_every_message_lands_in_exactly_one_batch_across_a_restart(kind: str, sqlite_store: SqlStore, tmp_path: Path) -> None:
    require("redis" if kind == "redis" else "rabbitmq")
    name = unique("legato_batch")
    if kind == "redis":
        trigger = f"type: io.kestra.plugin.redis.list.Trigger\n    url: redis://127.0.0.1:6379/0\n    key: {name}\n    serdeType: JSON"
        publish = _push_redis
    else:
        trigger = f"type: io.kestra.plugin.amqp.Trigger\n    host: 127.0.0.1\n    queue: {name}\n    serdeType: JSON"
        publish = _publish_amqp
    deploy_flow(sqlite_store, FLOW.format(trigger=trigger))

    async def main() -> None:
        await publish(name, range(10))
        first = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: len(_batched(sqlite_store, tmp_path)) == 10 and all_ended(sqlite_store, NAMESPACE, 3), message="10 messages in batches")
        await first.stop()
        await publish(name, range(10, 15))  # while no runtime runs
        second = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: len(_batched(sqlite_store, tmp_path)) == 15, message="15 messages in batches")
        await asyncio.sleep(0.5)
        await second.stop()

    asyncio.run(main())
    assert _batched(sqlite_store, tmp_path) == list(range(15))  # none lost, none twice
    assert {e.state for e in executions(sqlite_store, NAMESPACE)} == {State.SUCCESS}


def test_a_batch_not_committed_gives_its_messages_back(tmp_path: Path) -> None:
    """NATS JetStream batch polled directly: an uncommitted batch (its execution never recorded) is fetched again."""
    require("nats")
    import nats

    from legato.flows import parse_flow
    from legato.plugins.triggers.base import TriggerContext

    name = unique("LEGATOB")
    flow = parse_flow(f"id: f\nnamespace: {NAMESPACE}\ntasks:\n  - id: l\n    type: log.Log\n    message: x\ntriggers:\n"
                      f"  - id: b\n    type: io.kestra.plugin.nats.Trigger\n    url: nats://127.0.0.1:4222\n    subject: {name}.>\n"
                      f"    durableId: batch\n    serdeType: JSON\n    maxRecords: 3\n    maxDuration: PT1S\n")
    source = flow.triggers[0].source()
    storage = storage_for(tmp_path)
    ctx = TriggerContext(namespace=NAMESPACE, flow_id="f", trigger_id="b", render=lambda v: v, state={},
                         log=__import__("logging").getLogger("tests"), storage=storage)

    async def numbers(poll) -> list[int]:  # type: ignore[no-untyped-def]
        return [json.loads(line)["data"]["n"] for line in storage.get(poll.variables["uri"]).decode().splitlines()]

    async def poll_until_found():  # type: ignore[no-untyped-def]
        for _ in range(6):
            found = await source.poll(ctx)
            if found is not None:
                return found
        raise AssertionError("no batch in 6 polls")

    async def main() -> None:
        connection = await nats.connect("nats://127.0.0.1:4222")
        jetstream = connection.jetstream()
        await jetstream.add_stream(name=name, subjects=[f"{name}.>"])
        for n in range(5):
            await jetstream.publish(f"{name}.in", json.dumps({"n": n}).encode())
        first = await source.poll(ctx)
        assert first is not None and await numbers(first) == [0, 1, 2]
        await first.commit()
        # The rest of the first fetch was handed back (NAK) with a short delay, so that it does not go to the
        # pull request being closed: a poll or two may come back empty meanwhile.
        dropped = await poll_until_found()  # its execution is never recorded: no commit
        assert await numbers(dropped) == [3, 4] and dropped.variables["count"] == 2
        again = await poll_until_found()  # the next poll lets go of the unsettled batch: its messages come back
        assert await numbers(again) == [3, 4]
        await again.commit()
        assert await source.poll(ctx) is None  # nothing left once committed
        await jetstream.delete_stream(name)
        await connection.close()

    asyncio.run(main())
