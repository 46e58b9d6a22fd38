"""MQTT realtime trigger, Kestra's `io.kestra.plugin.mqtt.RealtimeTrigger` (aiomqtt over paho-mqtt).

Delivery: at least once with `qos: 1` (the default) or 2. The consumer connects with a fixed client id and a
persistent session (MQTT 3.1.1: clean session off; MQTT 5: clean start off and a session that outlives the
connection for `sessionExpiry`), so the broker keeps the subscription and queues QoS 1/2 messages published
while the consumer is down. Each message is acknowledged to the broker (PUBACK/PUBCOMP) only once its
execution exists; a message received but not acknowledged is sent again at the next connection. A message
whose execution was created just before a crash runs twice. QoS 0 messages are never stored nor resent:
at most once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TRIGGERS
from legato.plugins.triggers.base import Message, RealtimeSource, RealtimeTrigger, TriggerContext
from legato.plugins.triggers.realtime import serde, shared

_NEVER_EXPIRES = 0xFFFFFFFF  # MQTT 5 session expiry interval meaning "keep the session forever"


@TRIGGERS.register
class MqttTrigger(RealtimeTrigger):
    """One execution per message received on MQTT topics; `trigger.payload` is the message."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("aiomqtt",)
    EXTRA: ClassVar[str] = "mqtt"
    TYPE: ClassVar[str] = "mqtt.RealtimeTrigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.mqtt.RealtimeTrigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: sensors\n    type: io.kestra.plugin.mqtt.RealtimeTrigger\n    server: tcp://localhost:1883\n"
        "    clientId: legato-sensors\n    topic:\n      - sensors/cpu\n      - sensors/mem\n    serdeType: JSON\n",
    )

    server: str = Field(description="Broker URI (rendered): tcp://host:1883, or ssl://host:8883 for TLS.")
    version: Literal["V3", "V5"] = Field(default="V5", description="MQTT protocol: V3 (3.1.1) or V5.")
    clientId: str | None = Field(default=None, description="Client id (rendered); the broker keeps the session under it. Default: one per trigger.")
    username: str | None = Field(default=None, description="User name (rendered).")
    password: str | None = Field(default=None, description="Password (rendered).")
    topic: str | list[str] = Field(description="Topic filter(s) to subscribe to (rendered); + and # wildcards allowed.")
    qos: Literal[0, 1, 2] = Field(default=1, description="Subscription quality of service: 1 or 2 keeps messages while the consumer is away.")
    serdeType: serde.SerdeWithBytes = Field(default="JSON", description="How the payload is read: JSON (default, as in Kestra), STRING or BYTES (base64 text).")
    connectionTimeout: Duration | None = Field(default=None, description="Longest wait for the broker to accept the connection (default PT30S).")
    sessionExpiry: Duration = Field(default=timedelta(days=7), description="Legato, V5 only: how long the broker keeps the session (and queued messages) of a consumer that is away.")
    crt: str | None = Field(default=None, description="Path of the CA certificate that signs the broker's certificate (ssl:// only).")
    httpsHostnameVerificationEnabled: bool | None = Field(default=None, description="ssl:// only: false accepts a certificate issued for another host name.")
    authMethod: str | None = Field(default=None, description="Kestra compatibility (V5 extended authentication): not supported, must stay unset.")
    maxRecords: int | None = Field(default=None, description="Kestra compatibility: accepted and unused; a realtime trigger starts one execution per message.")
    maxDuration: Duration | None = Field(default=None, description="Kestra compatibility: accepted and unused; a realtime trigger starts one execution per message.")

    def source(self) -> RealtimeSource:
        return self

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        import aiomqtt

        if self.authMethod:
            raise ValueError(f"trigger '{self.id}': authMethod (MQTT 5 extended authentication) is not supported")
        topics = shared.rendered_list(ctx, self.topic)
        client = aiomqtt.Client(**self._client_options(ctx, aiomqtt))
        # aiomqtt hides paho's manual acknowledgement: without it paho acknowledges each message as soon as it
        # reaches aiomqtt's queue, before its execution exists, and a crash then loses it.
        paho = client._client
        paho.manual_ack_set(True)
        async with client:
            await client.subscribe([(topic, int(self.qos)) for topic in topics])
            async for received in client.messages:
                async def ack(mid: int = received.mid, qos: int = received.qos) -> None:
                    paho.ack(mid, qos)  # PUBACK (QoS 1) or PUBCOMP (QoS 2)

                try:
                    variables = message_variables(received, self.serdeType)
                except serde.UndecodableMessage as exc:
                    await shared.drop(ctx, f"topic {received.topic}", exc, ack)
                    continue
                yield Message(variables, ack=ack if received.qos > 0 else None)

    def _client_options(self, ctx: TriggerContext, aiomqtt: Any) -> dict[str, Any]:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        uri = urlsplit(shared.required_text(ctx, self.server, "server"))
        if uri.scheme not in ("tcp", "ssl", "mqtt", "mqtts") or not uri.hostname:
            raise ValueError(f"trigger '{self.id}': server must look like tcp://host:1883 or ssl://host:8883 (got {self.server!r})")
        secure = uri.scheme in ("ssl", "mqtts")
        options: dict[str, Any] = {
            "hostname": uri.hostname, "port": uri.port or (8883 if secure else 1883),
            "identifier": shared.rendered_text(ctx, self.clientId) or shared.identity(ctx),
            "username": shared.rendered_text(ctx, self.username), "password": shared.rendered_text(ctx, self.password),
            "timeout": (self.connectionTimeout or timedelta(seconds=30)).total_seconds(),
        }
        if self.version == "V5":
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = min(int(self.sessionExpiry.total_seconds()), _NEVER_EXPIRES)
            options |= {"protocol": aiomqtt.ProtocolVersion.V5, "clean_start": False, "properties": properties}
        else:
            options |= {"protocol": aiomqtt.ProtocolVersion.V311, "clean_session": False}
        if secure:
            options |= self._tls(aiomqtt)
        return options

    def _tls(self, aiomqtt: Any) -> dict[str, Any]:
        import ssl

        context = ssl.create_default_context(cafile=self.crt)
        if self.httpsHostnameVerificationEnabled is False:
            context.check_hostname = False
        return {"tls_context": context}


def message_variables(received: Any, serde_type: str) -> dict[str, Any]:
    """trigger.* of a received message, with Kestra's names."""
    properties = received.properties
    return {
        "id": received.mid,
        "topic": str(received.topic),
        "qos": received.qos,
        "retain": bool(received.retain),
        "payload": serde.decode(received.payload, serde_type),
        "properties": _properties(properties) if properties is not None else None,
    }


def _properties(properties: Any) -> dict[str, Any]:
    """MQTT 5 properties as a map (user properties as a map of text)."""
    out: dict[str, Any] = {}
    for name, value in properties.json().items():
        if name == "UserProperty":
            out["userProperties"] = {str(k): str(v) for k, v in value}
        elif isinstance(value, bytes | bytearray):
            out[name] = value.decode("utf-8", errors="replace")
        elif isinstance(value, str | int | float | bool) or value is None:
            out[name] = value
        else:
            out[name] = str(value)
    return out
