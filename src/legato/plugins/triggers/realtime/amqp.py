"""RabbitMQ (AMQP 0-9-1) realtime trigger, Kestra's `io.kestra.plugin.amqp.RealtimeTrigger` (aio-pika).

Delivery: at least once. Messages are consumed with manual acknowledgement and acknowledged only once their
execution exists; the broker hands every message it delivered but never saw acknowledged (consumer stopped,
connection lost, process killed) to the next consumer. A message whose execution was created just before a
crash runs twice. `autoAck: true` makes the broker forget a message as soon as it is sent: at most once.
At most `prefetchCount` messages are in flight at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import Field

from legato.model.durations import format_duration
from legato.model.task import TRIGGERS
from legato.plugins.triggers.base import Message, RealtimeSource, RealtimeTrigger, TriggerContext
from legato.plugins.triggers.realtime import serde, shared


@TRIGGERS.register
class AmqpTrigger(RealtimeTrigger):
    """One execution per message of an AMQP queue; `trigger.data` is the body."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("aio_pika",)
    EXTRA: ClassVar[str] = "amqp"
    TYPE: ClassVar[str] = "amqp.RealtimeTrigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.amqp.RealtimeTrigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: orders\n    type: io.kestra.plugin.amqp.RealtimeTrigger\n    host: localhost\n    port: 5672\n"
        "    username: guest\n    password: \"{{ secret('RABBITMQ_PASSWORD') }}\"\n    virtualHost: /\n    queue: orders\n    serdeType: JSON\n",
    )

    host: str | None = Field(default=None, description="Broker host (rendered). Required unless `url` is given.")
    port: int | str = Field(default=5672, description="Broker port (rendered).")
    username: str | None = Field(default=None, description="User name (rendered; broker default: guest).")
    password: str | None = Field(default=None, description="Password (rendered).")
    virtualHost: str = Field(default="/", description="Virtual host (rendered).")
    url: str | None = Field(default=None, description="Deprecated in Kestra: amqp://user:password@host:port/vhost instead of the properties above.")
    queue: str = Field(description="The queue to consume (rendered); it must exist.")
    consumerTag: str = Field(default="Legato", description="Consumer tag shown by the broker (rendered).")
    autoAck: bool = Field(default=False, description="Let the broker forget each message once sent (at most once) instead of acknowledging it once its execution exists.")
    serdeType: serde.Serde = Field(default="STRING", description="How the body is read: STRING (text) or JSON.")
    prefetchCount: int = Field(default=10, ge=1, le=65535, description="Legato: messages delivered ahead of their acknowledgement.")

    def source(self) -> RealtimeSource:
        return self

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        import aio_pika

        connection = await self._connect(ctx, aio_pika)
        try:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=self.prefetchCount)
            queue = await channel.get_queue(shared.required_text(ctx, self.queue, "queue"), ensure=True)
            async with queue.iterator(no_ack=self.autoAck, consumer_tag=shared.rendered_text(ctx, self.consumerTag)) as incoming:
                async for delivered in incoming:
                    ack = None if self.autoAck else delivered.ack
                    try:
                        variables = message_variables(delivered, self.serdeType)
                    except serde.UndecodableMessage as exc:
                        await shared.drop(ctx, f"queue {queue.name}", exc, ack)
                        continue
                    yield Message(variables, ack=ack)
            raise ConnectionError(f"the broker cancelled the consumer of queue {queue.name}")
        finally:
            await connection.close()

    async def _connect(self, ctx: TriggerContext, aio_pika: Any) -> Any:
        if self.url is not None:
            return await aio_pika.connect(shared.required_text(ctx, self.url, "url"))
        if self.host is None:
            raise ValueError(f"trigger '{self.id}': set `host` (or the deprecated `url`)")
        port = shared.required_text(ctx, self.port, "port")
        if not port.isdigit():
            raise ValueError(f"trigger '{self.id}': port must be a number, got {port!r}")
        return await aio_pika.connect(
            host=shared.required_text(ctx, self.host, "host"), port=int(port),
            login=shared.rendered_text(ctx, self.username) or "guest",
            password=shared.rendered_text(ctx, self.password) or "guest",
            virtualhost=shared.rendered_text(ctx, self.virtualHost) or "/",
        )


def message_variables(delivered: Any, serde_type: str) -> dict[str, Any]:
    """trigger.* of a delivered message, with Kestra's names: the body in `data`, then its properties."""
    expiration = delivered.expiration
    return {
        "data": serde.decode(delivered.body, serde_type),
        "contentType": delivered.content_type,
        "contentEncoding": delivered.content_encoding,
        "headers": {str(k): _header(v) for k, v in (delivered.headers or {}).items()},
        "deliveryMode": int(delivered.delivery_mode) if delivered.delivery_mode is not None else None,
        "priority": delivered.priority,
        "messageId": delivered.message_id,
        "correlationId": delivered.correlation_id,
        "replyTo": delivered.reply_to,
        "expiration": format_duration(timedelta(seconds=expiration)) if expiration is not None else None,
        "timestamp": serde.iso(delivered.timestamp) if isinstance(delivered.timestamp, datetime) else None,
        "type": delivered.type,
        "userId": delivered.user_id,
        "appId": delivered.app_id,
        "routingKey": delivered.routing_key,
        "exchange": delivered.exchange,
        "redelivered": bool(delivered.redelivered),
    }


def _header(value: Any) -> str:
    """Kestra hands every header value over as text."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
