"""NATS realtime sources against the NATS server (JetStream on) at 127.0.0.1:4222."""

from __future__ import annotations

import asyncio
import json

import nats
import pytest
from tests.builders import log_flow
from tests.integration.triggers.realtime_support import Consumer, context, unique, values
from tests.services import require

from legato.flows import parse_flow

URL = "nats://127.0.0.1:4222"


@pytest.fixture(autouse=True)
def _nats() -> None:
    require("nats")


def trigger(body: str):  # type: ignore[no-untyped-def]
    flow = parse_flow(log_flow(namespace="tests.realtime", after=f"triggers:\n{body}"))
    return flow.triggers[0]


async def _stream(name: str, subject: str) -> None:
    connection = await nats.connect(URL)
    await connection.jetstream().add_stream(name=name, subjects=[f"{subject}.>"])
    await connection.close()


async def _publish(subject: str, payloads: list[str]) -> None:
    connection = await nats.connect(URL)
    jetstream = connection.jetstream()
    for payload in payloads:
        await jetstream.publish(f"{subject}.new", payload.encode(), headers={"tenant": "acme"})
    await connection.close()


async def _drop(name: str) -> None:
    connection = await nats.connect(URL)
    await connection.jetstream().delete_stream(name)
    await connection.close()


@pytest.mark.parametrize("durable", [True, False], ids=["durable-consumer", "legato-cursor"])
def test_jetstream_loses_nothing_across_a_restart_and_never_redelivers_acked_messages(durable: bool) -> None:
    name, subject = unique("LEGATO"), unique("legato")
    durable_line = f"    durableId: {unique('consumer')}\n" if durable else ""
    model = trigger(f"  - id: watch\n    type: io.kestra.plugin.nats.RealtimeTrigger\n    url: \"{{{{ nats_url }}}}\"\n    subject: {subject}.>\n    serdeType: JSON\n    batchSize: 3\n{durable_line}")
    variables = {"nats_url": URL}

    async def main() -> None:
        await _stream(name, subject)
        await _publish(subject, [json.dumps({"n": i}) for i in range(10)])
        first = Consumer(model.source(), context(variables), ack_first=4)
        await first.wait_for(5)  # 4 acknowledged, the 5th held unacknowledged when the consumer stops
        await first.stop()
        await _publish(subject, [json.dumps({"n": i}) for i in range(10, 15)])
        # Without a durable consumer the runner hands back the cursor saved with the last execution.
        state = first.acked[-1].state or {}
        second = Consumer(model.source(), context(variables, state=state))
        got = await second.wait_for(11)
        await second.quiet(0.5)
        await second.stop()
        await _drop(name)
        assert values(first.acked, "data") == [{"n": i} for i in range(4)]
        # Messages handed back when the first consumer stopped come back after a short delay: any order.
        assert sorted(m.variables["data"]["n"] for m in got) == list(range(4, 15))
        fifth = next(m for m in got if m.variables["sequence"] == 5)
        assert fifth.key == f"{name}:5" and fifth.variables["data"] == {"n": 4}
        assert fifth.variables["headers"] == {"tenant": ["acme"]}
        assert fifth.variables["subject"] == f"{subject}.new"

    asyncio.run(main())


def test_core_subject_delivers_while_subscribed() -> None:
    subject = unique("legato_core")
    model = trigger(f"  - id: watch\n    type: nats.SubjectRealtimeTrigger\n    url: {URL}\n    subject: {subject}.*\n")

    async def main() -> None:
        consumer = Consumer(model.source(), context())
        await asyncio.sleep(1.0)  # subscribed by then; core NATS keeps nothing for absent subscribers
        connection = await nats.connect(URL)
        for i in range(5):
            await connection.publish(f"{subject}.x", f"m{i}".encode())
        await connection.flush()
        await connection.close()
        got = await consumer.wait_for(5)
        await consumer.stop()
        assert values(got, "data") == [f"m{i}" for i in range(5)]
        assert all(m.ack is None for m in got)

    asyncio.run(main())
