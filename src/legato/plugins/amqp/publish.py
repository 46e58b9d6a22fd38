"""`amqp.Publish`: publish messages to an exchange of a RabbitMQ broker (AMQP 0-9-1, aio-pika). `from` is one
message map, a list of them, or the internal-storage URI of a file of one per line; a message is `data` with the
AMQP properties Kestra names (`headers`, `contentType`, `contentEncoding`, `deliveryMode`, `priority`,
`correlationId`, `replyTo`, `expiration` (a duration), `messageId`, `timestamp`, `type`, `userId`, `appId`).
`serdeType` STRING sends `data` as text (other values as JSON), JSON always as JSON. The connection is `host`,
`port`, `username`, `password`, `virtualHost`, or the deprecated `url` (also accepted in `host`, as some of
Kestra's examples write it). Output `messagesCount`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, model_validator

from legato.model import durations
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression, RunnableTask

SerdeType = Literal["STRING", "JSON"]


def _messages(ctx: RunContext, value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        rendered = ctx.render(value)
        if isinstance(rendered, str) and rendered.strip().startswith("kestra://"):
            with stream.opened(ctx, rendered.strip()) as handle:
                value = list(stream.items(handle))
        elif isinstance(rendered, str):
            try:
                value = json.loads(rendered)
            except ValueError:
                raise TaskFailed("property 'from' must be a message map, a list of them or an internal-storage URI") from None
        else:
            value = rendered
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        rendered = ctx.render(item)
        if not isinstance(rendered, dict):
            raise TaskFailed(f"property 'from': each message must be a map with `data`, not {type(rendered).__name__}")
        out.append(rendered)
    return out


def body(data: Any, serde: str) -> bytes:
    if serde == "STRING" and isinstance(data, str):
        return data.encode()
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode()


@TASKS.register
class Publish(RunnableTask):
    """Publish messages to an AMQP exchange. Output `messagesCount`."""

    TYPE: ClassVar[str] = "amqp.Publish"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.amqp.Publish",)
    REQUIRES: ClassVar[tuple[str, ...]] = ("aio_pika",)
    EXTRA: ClassVar[str] = "amqp"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: publish
type: io.kestra.plugin.amqp.Publish
host: localhost
port: 5672
username: guest
password: "{{ secret('RABBITMQ_PASSWORD') }}"
exchange: orders
routingKey: eu
from:
  - data: "{{ inputs.order }}"
    contentType: application/json
""",
    )

    host: str | None = Field(default=None, description="Broker host (rendered); an amqp:// URL is read as `url`.")
    port: int | str = Field(default="5672", description="Broker port (rendered).")
    username: str | None = Field(default=None, description="User name (rendered; default guest).")
    password: str | None = Field(default=None, description="Password (rendered).")
    virtualHost: str = Field(default="/", description="Virtual host (rendered).")
    url: str | None = Field(default=None, description="Deprecated in Kestra: amqp://user:password@host:port/vhost instead of the properties above.")
    exchange: str = Field(description="The exchange to publish to (rendered; an empty string is the default exchange, which routes by queue name).")
    routingKey: str | None = Field(default=None, description="The routing key (rendered; default empty).")
    from_: Any = Field(alias="from", description="One message map (data and AMQP properties), a list of them, or the internal-storage URI of a file of one per line.")
    serdeType: SerdeType | Expression = Field(default="STRING", description="How `data` is sent: STRING (text as is, other values as JSON) or JSON.")

    @model_validator(mode="after")
    def _one_address(self) -> Publish:
        if self.url is not None and self.host is not None:
            raise ValueError("Cannot define both `url` and `host`")
        return self

    def address(self, ctx: RunContext) -> dict[str, Any]:
        url = ctx.render_string(self.url) if self.url is not None else None
        host = ctx.render_string(self.host) if self.host is not None else None
        if host and "://" in host:
            url, host = host, None
        if url:
            parts = urlsplit(url)
            return {"host": parts.hostname or "localhost", "port": parts.port or 5672,
                    "login": unquote(parts.username or "guest"), "password": unquote(parts.password or "guest"),
                    "virtualhost": unquote(parts.path[1:]) if len(parts.path) > 1 else "/"}
        if not host:
            raise TaskFailed("set `host` (or the deprecated `url`)")
        port = ctx.render_string(self.port)
        if not port.isdigit():
            raise TaskFailed(f"property 'port' must be a number, not {port!r}")
        return {"host": host, "port": int(port), "login": ctx.render_string(self.username or "guest") or "guest",
                "password": ctx.render_string(self.password or "guest"), "virtualhost": ctx.render_string(self.virtualHost) or "/"}

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        import aio_pika

        serde = str(ctx.render(self.serdeType))
        if serde not in ("STRING", "JSON"):
            raise TaskFailed(f"property 'serdeType' must be STRING or JSON, not {serde!r}")
        messages = [self._message(aio_pika, m, serde) for m in _messages(ctx, self.from_)]
        exchange_name = ctx.render_string(self.exchange)
        routing = ctx.render_string(self.routingKey) if self.routingKey is not None else ""
        try:
            connection = await aio_pika.connect(**self.address(ctx))
        except Exception as exc:
            raise TaskFailed(f"cannot connect to the AMQP broker: {exc}") from None
        try:
            channel = await connection.channel()  # publisher confirms: each publish waits for the broker's ack
            exchange = await channel.get_exchange(exchange_name, ensure=False) if exchange_name else channel.default_exchange
            for message in messages:
                await exchange.publish(message, routing_key=routing)
        except aio_pika.exceptions.AMQPException as exc:
            raise TaskFailed(f"cannot publish to exchange {exchange_name!r}: {exc}") from None
        finally:
            await connection.close()
        ctx.effects.extra.setdefault("metrics", []).append(
            {"name": "published.records", "type": "counter", "value": len(messages), "tags": {}})
        return {"messagesCount": len(messages)}

    @staticmethod
    def _message(aio_pika: Any, given: dict[str, Any], serde: str) -> Any:
        expiration = given.get("expiration")
        if expiration is not None:
            resolved = durations.resolve(str(expiration), str)
            expiration = None if resolved is None else resolved.total_seconds()
        timestamp = given.get("timestamp")
        if isinstance(timestamp, str):
            timestamp = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        mode = given.get("deliveryMode")
        return aio_pika.Message(
            body(given.get("data"), serde), headers=given.get("headers"), content_type=given.get("contentType"),
            content_encoding=given.get("contentEncoding"),
            delivery_mode=aio_pika.DeliveryMode(int(mode)) if mode is not None else None,
            priority=given.get("priority"), correlation_id=given.get("correlationId"), reply_to=given.get("replyTo"),
            expiration=expiration, message_id=given.get("messageId"), timestamp=timestamp, type=given.get("type"),
            user_id=given.get("userId"), app_id=given.get("appId"))
