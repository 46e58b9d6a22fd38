"""gcp.pubsub.Trigger and RealtimeTrigger, as Kestra's, over Pub/Sub's REST API (legato.plugins.gcp.pubsub).

- Trigger polls the subscription every `interval` and fires one execution for the messages pulled (up to
  `maxRecords`, for at most `maxDuration`, and no longer than until a pull comes back empty): `trigger.uri` is an ION
  file of them, one a line, `trigger.count` their number. They are acknowledged once the execution is recorded (their
  deadline extended meanwhile); a crash in between hands them back to Pub/Sub, which delivers them again.
- RealtimeTrigger fires one execution per message: `trigger.data` (read by `serdeType`), `trigger.attributes`,
  `trigger.messageId`, `trigger.orderingKey`. Each is acknowledged once its execution is recorded; its messageId is
  the fire key, so a message Pub/Sub delivers twice starts one execution."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import ClassVar

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TRIGGERS
from legato.plugins.context import TaskFailed
from legato.plugins.gcp.connection import KESTRA
from legato.plugins.gcp.pubsub import PubSub, _Pulling, consume, incoming
from legato.plugins.runnable import Expression
from legato.plugins.triggers.base import (
    Message,
    Poll,
    PollingSource,
    PollingTrigger,
    RealtimeSource,
    RealtimeTrigger,
    TriggerContext,
)
from legato.plugins.triggers.realtime import serde, shared

_HOLD = 600  # seconds a polled batch stays hidden from other consumers until its execution is recorded
_IDLE = 0.5  # seconds between pulls that found nothing


@TRIGGERS.register
class PubSubTrigger(PollingTrigger, _Pulling):
    """Poll a subscription and start the flow for the messages pulled (`trigger.uri`, `trigger.count`)."""

    TYPE: ClassVar[str] = "gcp.pubsub.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.pubsub.Trigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"triggers:\n  - id: on_messages\n    type: {KESTRA}.pubsub.Trigger\n    projectId: my-project\n"
        "    topic: events\n    subscription: kestra-events-sub\n    serdeType: JSON\n    interval: PT1M\n    maxRecords: 1000\n",
    )

    def source(self) -> PollingSource:
        return self

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        if ctx.storage is None:
            raise TaskFailed("gcp.pubsub.Trigger needs internal storage for the messages' file")
        pubsub = PubSub(self, ctx.render)
        try:
            found, subscription, acks = await consume(pubsub, ctx.render, self, wait=False)
            if acks:
                await pubsub.extend(subscription, acks, _HOLD)
        finally:
            await pubsub.close()
        if not found:
            return None
        from legato.storage import ion

        body = b"".join((ion.dumps(m) + "\n").encode() for m in found)
        uri = await asyncio.to_thread(ctx.storage.put, ctx.file_uri("messages.ion"), body)

        async def commit() -> None:
            done = PubSub(self, ctx.render)
            try:
                await done.acknowledge(subscription, acks)
            finally:
                await done.close()

        return Poll(variables={"uri": uri, "count": len(found)}, on_commit=commit)


@TRIGGERS.register
class PubSubRealtimeTrigger(RealtimeTrigger, _Pulling):
    """Start the flow for each message of a subscription, as it arrives (`trigger.data`, `trigger.attributes`,
    `trigger.messageId`, `trigger.orderingKey`)."""

    TYPE: ClassVar[str] = "gcp.pubsub.RealtimeTrigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.pubsub.RealtimeTrigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"triggers:\n  - id: on_message\n    type: {KESTRA}.pubsub.RealtimeTrigger\n    projectId: my-project\n"
        "    topic: orders\n    subscription: kestra-orders-sub\n    serdeType: JSON\n",
    )

    interval: Duration | Expression = Field(default=timedelta(seconds=60), description="Kestra compatibility: accepted (messages are pulled continuously).")

    def source(self) -> RealtimeSource:
        return self

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        kind = shared.required_text(ctx, self.serdeType, "serdeType")
        create = str(shared.rendered(ctx, self.autoCreateSubscription)).lower() != "false"
        pubsub = PubSub(self, ctx.render)
        try:
            subscription = await pubsub.subscription(shared.required_text(ctx, self.subscription, "subscription"), create)
            while True:
                batch = await pubsub.pull(subscription, 10)  # few at a time: each waits for its execution within its ack deadline
                shared.check_cancelled()
                if not batch:
                    await asyncio.sleep(_IDLE)
                    continue
                for received in batch:
                    ack_id = received["ackId"]

                    async def ack(ack_id: str = ack_id) -> None:
                        await pubsub.acknowledge(subscription, [ack_id])

                    try:
                        message = incoming(received, kind)
                    except serde.UndecodableMessage as exc:
                        await shared.drop(ctx, subscription, exc, ack)
                        continue
                    yield Message(message, ack=ack, key=message.get("messageId"))
        finally:
            await pubsub.close()
