"""`kafka.Consume`: read records of Kafka topics into an ION file of internal storage (aiokafka), one record per
line with Kestra's fields: `key`, `value`, `topic`, `partition`, `offset`, `timestamp`, `headers` (a list of
one-entry maps). Outputs `messagesCount` and `uri`.

Which records, as in Kestra: `topic` with no `groupId` reads every partition from the beginning (or from
`since`); `topic` with `partitions` reads those partitions the same way; `topic` with `groupId` joins the group
and reads from its committed offsets (`auto.offset.reset` when there are none); `topicPattern` needs a
`groupId`. Polling stops at the first poll that brings nothing (each waits up to `pollDuration`), after
`maxRecords` records or after `maxDuration`. With a `groupId`, the offsets are committed once the file is
stored, so a failed run reads the same records again. Records are read committed (`isolation.level`).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from legato.model.durations import Duration
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.kafka import client
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_duration, render_optional
from legato.plugins.triggers.realtime import serde


@TASKS.register
class Consume(RunnableTask):
    """Read records of Kafka topics into a file of internal storage. Outputs `messagesCount` and `uri`."""

    TYPE: ClassVar[str] = "kafka.Consume"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.kafka.Consume",)
    REQUIRES: ClassVar[tuple[str, ...]] = ("aiokafka",)
    EXTRA: ClassVar[str] = "kafka"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: consume
type: io.kestra.plugin.kafka.Consume
topic: orders
properties:
  bootstrap.servers: localhost:9092
  auto.offset.reset: earliest
groupId: reporting
pollDuration: PT20S
maxRecords: 50
keyDeserializer: STRING
valueDeserializer: JSON
""",
    )

    properties: dict[str, str | int | bool] = Field(description="Kafka client properties (rendered), Java client names: bootstrap.servers (required), security.protocol, sasl.mechanism, sasl.jaas.config, ssl.ca.location, auto.offset.reset, isolation.level, ...")
    serdeProperties: dict[str, Any] = Field(default_factory=dict, description="Kestra compatibility: schema registry settings, unused (AVRO is not supported).")
    topic: str | list[str] | None = Field(default=None, description="Topic(s) to read (rendered); or `topicPattern`.")
    topicPattern: str | None = Field(default=None, description="Regular expression of the topics to read (needs `groupId`).")
    partitions: list[int] | Expression | None = Field(default=None, description="Read only these partitions of `topic`, from the beginning or `since`.")
    groupId: str | None = Field(default=None, description="Consumer group (rendered): read from its committed offsets and commit after the file is stored.")
    groupType: Literal["CONSUMER", "SHARE"] = Field(default="CONSUMER", description="CONSUMER: a classic consumer group (share groups, SHARE, are not supported).")
    acknowledgeType: Literal["ACCEPT", "RELEASE", "REJECT", "RENEW"] = Field(default="ACCEPT", description="Kestra compatibility (share groups): unused.")
    keyDeserializer: client.SerdeType | Expression = Field(default="STRING", description="How keys are read: STRING, INTEGER, LONG, SHORT, FLOAT, DOUBLE, BYTE_ARRAY/BYTE_BUFFER/BYTES (as base64 text), UUID, VOID, JSON.")
    valueDeserializer: client.SerdeType | Expression = Field(default="STRING", description="How values are read (the same choices as keyDeserializer).")
    onSerdeError: client.OnSerdeError | None = Field(default=None, description="SKIPPED: log and skip a record that does not deserialize; unset, such a record fails the task.")
    since: str | None = Field(default=None, description="ISO-8601 date: without a group's offsets, start at the first record from this date.")
    pollDuration: Duration | Expression = Field(default=timedelta(seconds=5), description="How long one poll waits for records; a poll that brings none ends the task.")
    maxRecords: int | Expression | None = Field(default=None, description="Stop after this many records.")
    maxDuration: Duration | Expression | None = Field(default=None, description="Stop after this long.")
    headerFilters: dict[str, str] | None = Field(default=None, description="Keep only records whose headers have these values (the last header of a name counts); the others are consumed but not written.")

    @field_validator("keyDeserializer", "valueDeserializer")
    @classmethod
    def _no_registry(cls, value: str) -> str:
        return client.refuse_registry(value)

    @field_validator("groupType")
    @classmethod
    def _no_share_group(cls, value: str) -> str:
        if value == "SHARE":
            raise ValueError("share groups (groupType: SHARE) are not supported: aiokafka has no share consumer; use CONSUMER")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Consume:
        if (self.topic is None) == (self.topicPattern is None):
            raise ValueError("set one of `topic` or `topicPattern`")
        if self.topicPattern is not None and self.groupId is None and "group.id" not in self.properties:
            raise ValueError("`groupId` is required with `topicPattern`")
        return self

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        from aiokafka import AIOKafkaConsumer
        from aiokafka.errors import KafkaError

        serdes = tuple(str(render_as(ctx, s, client.SerdeType, n)) for s, n in
                       ((self.keyDeserializer, "keyDeserializer"), (self.valueDeserializer, "valueDeserializer")))
        for serde_type in serdes:
            client.refuse_registry(serde_type)
        properties = ctx.render(dict(self.properties))
        group_id = ctx.render_string(self.groupId) if self.groupId is not None else properties.get("group.id")
        try:
            options = client.consumer_options(properties, str(group_id) if group_id else None)
        except ValueError as exc:
            raise TaskFailed(str(exc)) from None
        options.setdefault("isolation_level", "read_committed")
        consumer = AIOKafkaConsumer(**options)
        try:
            await consumer.start()
        except KafkaError as exc:
            await consumer.stop()
            raise TaskFailed(f"cannot connect to Kafka at {','.join(options['bootstrap_servers'])}: {exc}") from None
        try:
            await self._subscribe(ctx, consumer, bool(group_id))
            with stream.Output(ctx, f"{ctx.task_run.task_id}.ion") as out:
                counts = await self._poll(ctx, consumer, out, serdes)
                uri = out.save()
            if group_id:
                await consumer.commit()  # only once the records are stored
        except KafkaError as exc:
            raise TaskFailed(f"cannot consume from Kafka: {exc}") from None
        finally:
            await consumer.stop()
        for topic, count in sorted(counts.items()):
            ctx.effects.extra.setdefault("metrics", []).append({"name": "records", "type": "counter", "value": count, "tags": {"topic": topic}})
        return {"messagesCount": sum(counts.values()), "uri": uri}

    def _topics(self, ctx: RunContext) -> list[str]:
        rendered = ctx.render(self.topic)
        topics = [str(t) for t in (rendered if isinstance(rendered, list) else [rendered]) if t not in (None, "")]
        if not topics:
            raise TaskFailed(f"property 'topic' renders to no topic ({self.topic!r})")
        return topics

    async def _subscribe(self, ctx: RunContext, consumer: Any, grouped: bool) -> None:
        from aiokafka import TopicPartition

        if self.topicPattern is not None:
            consumer.subscribe(pattern=ctx.render_string(self.topicPattern))
            await self._assigned(ctx, consumer)
            return
        topics = self._topics(ctx)
        partitions = render_optional(ctx, self.partitions, list[int], "partitions")
        if partitions is not None:
            assigned = [TopicPartition(t, p) for t in topics for p in partitions]
            consumer.assign(assigned)
            await self._seek(ctx, consumer, assigned)
            return
        consumer.subscribe(topics=topics)  # without a group, aiokafka assigns every partition of the topics
        await self._assigned(ctx, consumer)
        if not grouped:
            await self._seek(ctx, consumer, list(consumer.assignment()))

    async def _assigned(self, ctx: RunContext, consumer: Any) -> None:
        """Wait until the group gave this consumer its partitions (as Kestra does), at most maxDuration or
        pollDuration, so that the first poll does not come back empty while the group forms."""
        most = render_optional(ctx, self.maxDuration, Duration, "maxDuration") or render_duration(ctx, self.pollDuration, "pollDuration")
        deadline = time.monotonic() + most.total_seconds()
        while not consumer.assignment() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    async def _seek(self, ctx: RunContext, consumer: Any, assigned: list[Any]) -> None:
        if not assigned:
            return
        if self.since is None:
            await consumer.seek_to_beginning(*assigned)
            return
        text = ctx.render_string(self.since)
        try:
            since = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise TaskFailed(f"property 'since': {text!r} is not an ISO-8601 date") from None
        found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in assigned})
        for tp in assigned:
            at = found.get(tp)
            if at is None:
                await consumer.seek_to_end(tp)  # nothing from that date yet
            else:
                consumer.seek(tp, at.offset)

    async def _poll(self, ctx: RunContext, consumer: Any, out: stream.Output, serdes: tuple[str, ...]) -> dict[str, int]:
        poll = render_duration(ctx, self.pollDuration, "pollDuration").total_seconds()
        limit = render_optional(ctx, self.maxRecords, int, "maxRecords")
        most = render_optional(ctx, self.maxDuration, Duration, "maxDuration")
        deadline = None if most is None else time.monotonic() + most.total_seconds()
        filters = ctx.render(self.headerFilters) or {}
        counts: dict[str, int] = {}
        while (left := None if limit is None else limit - sum(counts.values())) is None or left > 0:
            wait = poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic()))
            fetched = await consumer.getmany(timeout_ms=int(wait * 1000), max_records=left)
            records = sorted((r for batch in fetched.values() for r in batch), key=lambda r: (r.topic, r.partition, r.offset))
            for record in records:
                if not _matches(record.headers, filters):
                    continue
                line = self._line(ctx, record, serdes)
                if line is not None:
                    out.write(stream.item_line(line))
                    counts[record.topic] = counts.get(record.topic, 0) + 1
            if not records or (deadline is not None and time.monotonic() >= deadline):
                break
        return counts

    def _line(self, ctx: RunContext, record: Any, serdes: tuple[str, ...]) -> dict[str, Any] | None:
        try:
            return client.record_variables(record, *serdes)
        except serde.UndecodableMessage as exc:
            where = f"{record.topic}[{record.partition}]@{record.offset}"
            if self.onSerdeError is None:
                raise TaskFailed(f"record {where} does not deserialize: {exc} (set onSerdeError.type: SKIPPED to skip such records)") from None
            ctx.logger.warn(f"skipped record {where}: {exc}")
            return None


def _matches(headers: Any, filters: dict[str, str]) -> bool:
    """Every filter names a header whose last value is the filter's text."""
    last = {str(k): serde.text(v) for k, v in headers or ()}
    return all(last.get(name) == str(value) for name, value in filters.items())
