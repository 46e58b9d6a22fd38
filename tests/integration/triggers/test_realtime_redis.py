"""Redis realtime sources against the Redis on 127.0.0.1:6379: list (reliable pop), pub/sub, stream group."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis.asyncio
from tests.builders import log_flow
from tests.integration.triggers.realtime_support import Consumer, context, unique, values
from tests.services import require

from legato.flows import parse_flow

URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(autouse=True)
def _redis() -> None:
    require("redis")


def trigger(yaml_body: str):  # type: ignore[no-untyped-def]
    """The trigger model parsed from a flow, as a deployed flow gets it."""
    flow = parse_flow(log_flow(namespace="tests.realtime", after=f"triggers:\n{yaml_body}"))
    return flow.triggers[0]


async def _push(key: str, items: list[str]) -> None:
    client = redis.asyncio.from_url(URL)
    await client.rpush(key, *items)
    await client.aclose()


def test_list_delivers_every_element_and_loses_none_across_a_restart() -> None:
    key = unique("legato_list")
    model = trigger(f"  - id: watch\n    type: io.kestra.plugin.redis.list.RealtimeTrigger\n    url: \"{{{{ redis_url }}}}\"\n    key: {key}\n    serdeType: JSON\n")
    ctx = context({"redis_url": URL})

    async def main() -> None:
        await _push(key, [json.dumps({"n": i}) for i in range(10)])
        # First run: acknowledges 4, receives a 5th it never acknowledges, then stops.
        first = Consumer(model.source(), ctx, ack_first=4)
        await first.wait_for(5)
        await first.stop()
        assert values(first.acked) == [{"n": i} for i in range(4)]
        await _push(key, [json.dumps({"n": i}) for i in range(10, 15)])
        # Second run: the unacknowledged 5th comes first, then the rest; nothing acknowledged comes back.
        second = Consumer(model.source(), ctx)
        got = await second.wait_for(11)
        await second.quiet(0.5)
        await second.stop()
        assert values(got) == [{"n": i} for i in range(4, 15)]
        client = redis.asyncio.from_url(URL)
        leftovers = await client.llen(key) + await client.llen(f"{key}:processing:{ctx.namespace}.{ctx.flow_id}.{ctx.trigger_id}")
        await client.delete(key)
        await client.aclose()
        assert leftovers == 0

    asyncio.run(main())


def test_list_skips_an_element_that_is_not_json() -> None:
    key = unique("legato_list")
    model = trigger(f"  - id: watch\n    type: redis.list.RealtimeTrigger\n    url: {URL}\n    key: {key}\n    serdeType: JSON\n")

    async def main() -> None:
        await _push(key, ["not json", '{"ok": true}'])
        consumer = Consumer(model.source(), context())
        got = await consumer.wait_for(1)
        await consumer.stop()
        assert values(got) == [{"ok": True}]

    asyncio.run(main())


def test_pubsub_delivers_while_subscribed() -> None:
    channel = unique("legato_chan")
    model = trigger(f"  - id: watch\n    type: redis.pubsub.RealtimeTrigger\n    url: {URL}\n    channel: [{channel}, {channel}_other]\n")

    async def main() -> None:
        consumer = Consumer(model.source(), context())
        client = redis.asyncio.from_url(URL)
        for _ in range(100):  # the subscription is in place once a publish reaches a subscriber
            if (await client.pubsub_numsub(channel))[0][1]:
                break
            await asyncio.sleep(0.05)
        for i in range(5):
            await client.publish(channel if i % 2 == 0 else f"{channel}_other", f"m{i}")
        await client.aclose()
        got = await consumer.wait_for(5)
        await consumer.stop()
        assert values(got) == [f"m{i}" for i in range(5)]
        assert [m.variables["channel"] for m in got] == [channel, f"{channel}_other"] * 2 + [channel]
        assert all(m.ack is None for m in got)  # at most once: nothing to acknowledge

    asyncio.run(main())


def test_stream_redelivers_pending_entries_and_never_acked_ones_twice() -> None:
    key = unique("legato_stream")
    model = trigger(f"  - id: watch\n    type: redis.stream.RealtimeTrigger\n    url: {URL}\n    key: {key}\n    group: billing\n    startId: \"0\"\n    serdeType: JSON\n")
    ctx = context()

    async def main() -> None:
        client = redis.asyncio.from_url(URL)
        ids = [await client.xadd(key, {"order": json.dumps({"n": i}), "source": '"web"'}) for i in range(8)]
        first = Consumer(model.source(), ctx, ack_first=3)
        await first.wait_for(5)  # reads 5, acknowledges 3
        await first.stop()
        ids += [await client.xadd(key, {"order": json.dumps({"n": i}), "source": '"web"'}) for i in range(8, 12)]
        second = Consumer(model.source(), ctx)
        got = await second.wait_for(9)
        await second.quiet(0.5)
        await second.stop()
        assert [m.variables["value"]["order"]["n"] for m in got] == list(range(3, 12))
        # The two entries read but never acknowledged come back first, before the new ones.
        assert [m.variables["id"] for m in got[:2]] == [i.decode() for i in ids[3:5]]
        # The entry id is the fire key: a second delivery of the same entry creates no second execution.
        assert got[0].key == f"{key}:{ids[3].decode()}"
        pending = await client.xpending(key, "billing")
        await client.delete(key)
        await client.aclose()
        assert pending["pending"] == 0

    asyncio.run(main())
