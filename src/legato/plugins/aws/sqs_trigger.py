"""SQS triggers, as Kestra's: `aws.sqs.Trigger` polls the queue every `interval` and fires one execution for
the messages received (`maxRecords`/`maxDuration`, as `sqs.Consume`): `trigger.uri` is a storage file of one
message per line, `trigger.count` their number. `aws.sqs.RealtimeTrigger` fires one execution per message:
`trigger.data` is the message (text, or parsed with `serdeType: JSON`).

Delivery: with `autoDelete` (default) a message is deleted from the queue only once its execution is recorded;
a message received but not deleted (a crash in between) comes back after `visibilityTimeout` seconds, so it
runs at least once. With `autoDelete: false` the queue keeps every message, which returns after the timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import ClassVar

from pydantic import Field, model_validator

from legato.model import durations
from legato.model.durations import Duration
from legato.model.task import TRIGGERS
from legato.plugins.aws import connection, messaging
from legato.plugins.aws.connection import KESTRA, AwsConnection
from legato.plugins.aws.messaging import SerdeType
from legato.plugins.context import TaskFailed
from legato.plugins.core import storage_stream as stream
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
from legato.plugins.triggers.realtime import shared

_WAIT_SECONDS = 2
_EXAMPLE_CONNECTION = """    accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
    secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
    region: eu-central-1
    queueUrl: https://sqs.eu-central-1.amazonaws.com/000000000000/orders
"""


class _SqsTrigger(AwsConnection):
    REQUIRES: ClassVar[tuple[str, ...]] = ("boto3",)
    EXTRA: ClassVar[str] = "aws"

    queueUrl: str = Field(description="URL of the queue (rendered).")
    serdeType: SerdeType | Expression = Field(default="STRING", description="How message bodies are read: STRING (text) or JSON.")
    autoDelete: bool | Expression = Field(default=True, description="Delete each message once its execution is recorded.")
    visibilityTimeout: int | Expression = Field(default=30, description="Seconds a received message stays hidden from other consumers (and comes back after, if not deleted).")
    maxConcurrency: int | Expression = Field(default=50, description="Kestra compatibility (its async client's pool): accepted.")
    connectionAcquisitionTimeout: str | None = Field(default=None, description="Kestra compatibility: accepted.")


def _flag(ctx: TriggerContext, value: bool | str, prop: str) -> bool:
    rendered = shared.rendered(ctx, value)
    if isinstance(rendered, bool):
        return rendered
    text = str(rendered).strip().lower()
    if text not in ("true", "false"):
        raise TaskFailed(f"property '{prop}': {rendered!r} is not a boolean")
    return text == "true"


@TRIGGERS.register
class SqsTrigger(PollingTrigger, _SqsTrigger):
    """Poll an SQS queue and start the flow for the messages received (`trigger.uri`, `trigger.count`)."""

    TYPE: ClassVar[str] = "aws.sqs.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.sqs.Trigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: orders\n    type: io.kestra.plugin.aws.sqs.Trigger\n" + _EXAMPLE_CONNECTION + "    maxRecords: 10\n",
    )

    maxRecords: int | Expression | None = Field(default=None, description="Most messages per execution.")
    maxDuration: Duration | Expression | None = Field(default=None, description="Longest a poll receives (ISO-8601 duration).")

    @model_validator(mode="after")
    def _bounded(self) -> SqsTrigger:
        if self.maxRecords is None and self.maxDuration is None:
            raise ValueError("'maxDuration' or 'maxRecords' must be set to avoid an infinite loop")
        return self

    def source(self) -> PollingSource:
        return self

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        values, handles, client, url = await asyncio.to_thread(
            messaging.receive, self, ctx.render, self.queueUrl, self.maxRecords, self.maxDuration, self.serdeType,
            self.visibilityTimeout)
        if not values:
            return None
        if ctx.storage is None:
            raise TaskFailed("aws.sqs.Trigger needs internal storage for the messages' file")
        body = b"".join(stream.item_line(v) for v in values)
        uri = await asyncio.to_thread(ctx.storage.put, ctx.file_uri("messages.ion"), body)
        delete = _flag(ctx, self.autoDelete, "autoDelete")

        async def commit() -> None:
            if delete:
                await asyncio.to_thread(messaging.delete_messages, client, url, handles)

        return Poll(variables={"uri": uri, "count": len(values)}, on_commit=commit)


@TRIGGERS.register
class SqsRealtimeTrigger(RealtimeTrigger, _SqsTrigger):
    """Start the flow for each message of an SQS queue, as it arrives (`trigger.data`)."""

    TYPE: ClassVar[str] = "aws.sqs.RealtimeTrigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.sqs.RealtimeTrigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: orders\n    type: io.kestra.plugin.aws.sqs.RealtimeTrigger\n" + _EXAMPLE_CONNECTION + "    serdeType: JSON\n",
    )

    waitTime: Duration | Expression = Field(default="PT20S", description="How long one receive call waits for messages (long polling; Legato waits at most 2 s a call, then calls again).")
    maxNumberOfMessage: int | Expression = Field(default=5, description="Most messages one receive call returns (1 to 10).")
    clientRetryMaxAttempts: int | Expression = Field(default=3, description="Kestra compatibility: boto3 retries 3 times.")
    clientRetryMaxBackoff: str | None = Field(default=None, description="Kestra compatibility: accepted.")

    def source(self) -> RealtimeSource:
        return self

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        url = shared.required_text(ctx, self.queueUrl, "queueUrl")
        serde = str(shared.rendered(ctx, self.serdeType))
        wait = durations.resolve(self.waitTime, lambda v: str(ctx.render(v)))
        # long polling, but at most _WAIT_SECONDS a call so that a stopping trigger is not held
        seconds = _WAIT_SECONDS if wait is None else max(0, min(_WAIT_SECONDS, int(wait.total_seconds())))
        count = max(1, min(10, int(shared.rendered(ctx, self.maxNumberOfMessage))))
        hidden = int(shared.rendered(ctx, self.visibilityTimeout))
        delete = _flag(ctx, self.autoDelete, "autoDelete")
        client = await asyncio.to_thread(connection.client, self, ctx.render, "sqs")
        while True:
            answer = await asyncio.to_thread(lambda: client.receive_message(
                QueueUrl=url, MaxNumberOfMessages=count, WaitTimeSeconds=seconds, VisibilityTimeout=hidden))
            shared.check_cancelled()
            for raw in answer.get("Messages") or []:
                handle = raw["ReceiptHandle"]

                async def ack(handle: str = handle) -> None:
                    if delete:
                        await asyncio.to_thread(lambda: client.delete_message(QueueUrl=url, ReceiptHandle=handle))

                try:
                    value = messaging.decode(raw.get("Body", ""), serde)
                except TaskFailed as exc:
                    await shared.drop(ctx, f"queue {url}", exc, ack)
                    continue
                yield Message({"data": value}, ack=ack, key=raw.get("MessageId"))
