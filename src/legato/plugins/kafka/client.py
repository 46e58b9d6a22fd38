"""Kafka client settings and record layouts, in one place for the tasks (`Produce`, `Consume`) and the triggers
(`RealtimeTrigger`, `Trigger`).

Kestra passes its `properties` map to Kafka's Java client; `client_options` translates each name to aiokafka's
option for a consumer or a producer and refuses a property with no counterpart by name (a typo never passes
silently). Keys and values are written and read as Kafka's Java (de)serializers lay them out (`serialize`,
`deserialize`); AVRO and PROTOBUF need a schema registry client, which Legato does not ship, and are refused.
Nothing here imports aiokafka: the module loads without the `kafka` extra.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import uuid
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field

from legato.model.task import Frozen
from legato.plugins.triggers.realtime import serde

SerdeType = Literal["STRING", "INTEGER", "FLOAT", "DOUBLE", "LONG", "SHORT", "BYTE_ARRAY", "BYTE_BUFFER", "BYTES", "UUID", "VOID", "JSON", "AVRO", "PROTOBUF"]
NO_REGISTRY = "needs a schema registry client, which Legato does not ship; use JSON or STRING instead"

_NUMBERS = {"INTEGER": ">i", "LONG": ">q", "SHORT": ">h", "FLOAT": ">f", "DOUBLE": ">d"}  # Java's big-endian layouts
_BYTES = ("BYTE_ARRAY", "BYTE_BUFFER", "BYTES")


class OnSerdeError(Frozen):
    type: Literal["SKIPPED"] = Field(default="SKIPPED", description="SKIPPED: log and skip a record that does not deserialize (DLQ and STORE are not supported).")
    topic: str | None = Field(default=None, description="Kestra compatibility (DLQ): unused.")


def refuse_registry(value: str) -> str:
    """A pydantic validator body: AVRO/PROTOBUF refused with the reason."""
    if value in ("AVRO", "PROTOBUF"):
        raise ValueError(f"{value} {NO_REGISTRY}")
    return value


def deserialize(data: bytes | None, serde_type: str) -> Any:
    """A key or value as the Java serializer of `serde_type` wrote it; JSON-safe (bytes as base64 text)."""
    if data is None or serde_type == "VOID":
        return None
    if serde_type in _NUMBERS:
        fmt = _NUMBERS[serde_type]
        if len(data) != struct.calcsize(fmt):
            raise serde.UndecodableMessage(f"{serde_type} needs {struct.calcsize(fmt)} bytes, got {len(data)}")
        return struct.unpack(fmt, data)[0]
    if serde_type in _BYTES:
        return base64.b64encode(data).decode("ascii")
    if serde_type == "JSON":
        return serde.decode(data, "JSON")
    return data.decode("utf-8", errors="replace")  # STRING, UUID (written as its text)


def serialize(value: Any, serde_type: str) -> bytes | None:
    """`value` laid out as the Java serializer of `serde_type` writes it (ValueError when it does not fit)."""
    if value is None or serde_type == "VOID":
        return None
    if serde_type in _NUMBERS:
        fmt = _NUMBERS[serde_type]
        try:
            number = float(value) if serde_type in ("FLOAT", "DOUBLE") else int(value)
            return struct.pack(fmt, number)
        except (ValueError, TypeError, struct.error):
            raise ValueError(f"{value!r} cannot be written as {serde_type}") from None
    if serde_type in _BYTES:
        if isinstance(value, bytes):
            return value
        try:
            return base64.b64decode(str(value), validate=True)  # bytes travel as base64 text, as Consume writes them
        except ValueError:
            raise ValueError(f"{serde_type} takes base64 text, not {str(value)[:50]!r}") from None
    if serde_type == "JSON":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    if serde_type == "UUID":
        return str(uuid.UUID(str(value))).encode()
    return (value if isinstance(value, str) else json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)).encode()


def _servers(value: str) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()]


# Kestra's (Java client) property → aiokafka option and how its text becomes the option's value, per role.
_COMMON: dict[str, tuple[str, Callable[[str], Any]]] = {
    "bootstrap.servers": ("bootstrap_servers", _servers),
    "client.id": ("client_id", str),
    "security.protocol": ("security_protocol", str.upper),
    "sasl.mechanism": ("sasl_mechanism", str.upper),
    "sasl.kerberos.service.name": ("sasl_kerberos_service_name", str),
    "client.rack": ("client_rack", str),
    **{name: (name.replace(".", "_"), int) for name in (
        "request.timeout.ms", "metadata.max.age.ms", "connections.max.idle.ms", "retry.backoff.ms")},
}
_CONSUMER: dict[str, tuple[str, Callable[[str], Any]]] = {
    "group.id": ("group_id", str),
    "group.instance.id": ("group_instance_id", str),
    "auto.offset.reset": ("auto_offset_reset", str),
    "isolation.level": ("isolation_level", str),
    **{name: (name.replace(".", "_"), int) for name in (
        "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms", "max.poll.records",
        "fetch.max.wait.ms", "fetch.min.bytes", "fetch.max.bytes", "max.partition.fetch.bytes")},
}
_PRODUCER: dict[str, tuple[str, Callable[[str], Any]]] = {
    "acks": ("acks", lambda v: v if v == "all" else int(v)),
    "compression.type": ("compression_type", lambda v: None if v == "none" else v),
    "enable.idempotence": ("enable_idempotence", lambda v: v.lower() == "true"),
    "linger.ms": ("linger_ms", int),
    "batch.size": ("max_batch_size", int),
    "max.request.size": ("max_request_size", int),
    "transaction.timeout.ms": ("transaction_timeout_ms", int),
}
_ROLES = {"consumer": _CONSUMER, "producer": _PRODUCER}
# Set by the task's own properties (keyDeserializer, transactional, ...) or meaningless for aiokafka.
_IGNORED = {
    "consumer": ("key.deserializer", "value.deserializer", "enable.auto.commit"),
    "producer": ("key.serializer", "value.serializer", "transactional.id", "retries", "delivery.timeout.ms"),
}
_SSL = ("ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.key.password", "ssl.endpoint.identification.algorithm")
_JAAS = re.compile(r'(username|password)\s*=\s*"((?:[^"\\]|\\.)*)"')


def client_options(properties: dict[str, Any], role: Literal["consumer", "producer"]) -> dict[str, Any]:
    """aiokafka options of a consumer or producer for Kestra's `properties` map (ValueError naming a property
    that has no counterpart, or a value that does not convert)."""
    table = _COMMON | _ROLES[role]
    options: dict[str, Any] = {}
    ssl_files: dict[str, str] = {}
    for name, raw in properties.items():
        value = str(raw)
        if name in table:
            option, convert = table[name]
            try:
                options[option] = convert(value)
            except ValueError:
                raise ValueError(f"properties.{name}: {value!r} is not a valid value") from None
        elif name == "sasl.jaas.config":
            found = {k: v.replace('\\"', '"') for k, v in _JAAS.findall(value)}
            options |= {"sasl_plain_username": found.get("username"), "sasl_plain_password": found.get("password")}
        elif name in _SSL:
            ssl_files[name] = value
        elif name not in _IGNORED[role]:
            known = ", ".join(sorted([*table, "sasl.jaas.config", *_SSL]))
            raise ValueError(f"properties.{name} is not supported for a {role} (supported: {known})")
    if "bootstrap_servers" not in options:
        raise ValueError("properties.bootstrap.servers is required (host:port, comma-separated)")
    if ssl_files or str(options.get("security_protocol", "")).endswith("SSL"):
        options["ssl_context"] = _ssl_context(ssl_files)
    return options


def consumer_options(properties: dict[str, Any], group_id: str | None) -> dict[str, Any]:
    """aiokafka consumer options: `properties` with `group_id` (None: no group) and automatic commits off
    (offsets are committed once the records are safe: an execution exists, a file is stored)."""
    if str(properties.get("enable.auto.commit", "false")).lower() == "true":
        raise ValueError("properties.enable.auto.commit: offsets are committed once the records are safe; remove this property")
    options = client_options(properties, "consumer")
    if group_id is not None:
        options["group_id"] = group_id
    return options | {"enable_auto_commit": False}


def _ssl_context(files: dict[str, str]) -> Any:
    import ssl

    context = ssl.create_default_context(cafile=files.get("ssl.ca.location"))
    if "ssl.certificate.location" in files:
        context.load_cert_chain(files["ssl.certificate.location"], files.get("ssl.key.location"), files.get("ssl.key.password"))
    if files.get("ssl.endpoint.identification.algorithm", "https") == "":
        context.check_hostname = False
    return context


def record_variables(record: Any, key_serde: str, value_serde: str) -> dict[str, Any]:
    """A consumed record with Kestra's names (trigger.* and the lines of Consume's file); headers as a list of
    {name: value}."""
    return {
        "key": deserialize(record.key, key_serde),
        "value": deserialize(record.value, value_serde),
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": serde.iso(record.timestamp / 1000) if record.timestamp is not None and record.timestamp >= 0 else None,
        "headers": [{str(name): serde.text(value) if isinstance(value, bytes) else value} for name, value in record.headers or ()],
    }
