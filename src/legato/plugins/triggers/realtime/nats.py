"""NATS realtime triggers (nats-py): a JetStream consumer (Kestra's `io.kestra.plugin.nats.RealtimeTrigger`)
and a core NATS subject (Legato's `nats.SubjectRealtimeTrigger`).

Delivery:
- JetStream: a pull consumer with explicit acknowledgement; each message is acknowledged (and the server's
  confirmation awaited) once its execution exists. With `durableId` the server remembers the position of the
  consumer; without it Legato saves the last stream sequence with each execution and resumes after it. A
  message fetched but not acknowledged when the consumer stops is handed back (NAK) within seconds, and after
  the consumer's `ackWait` when the process died. The stream sequence is the fire key, so a message delivered
  twice creates one execution. Effectively once.
- core subject: NATS keeps nothing for a subscriber that is away. At most once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TRIGGERS
from legato.plugins.triggers.base import Message, RealtimeSource, RealtimeTrigger, TriggerContext
from legato.plugins.triggers.realtime import serde, shared

_FETCH_WAIT_SECONDS = 2.0  # longest a fetch waits for messages before looping

DeliverPolicy = Literal["All", "Last", "New", "ByStartSequence", "ByStartTime", "LastPerSubject"]


class _NatsTrigger(RealtimeTrigger):
    REQUIRES: ClassVar[tuple[str, ...]] = ("nats",)
    EXTRA: ClassVar[str] = "nats"
    url: str = Field(description="Server URL (rendered): nats://host:4222, or nats://token@host:4222.")
    username: str | None = Field(default=None, description="User name (rendered).")
    password: str | None = Field(default=None, description="Password (rendered).")
    token: str | None = Field(default=None, description="Authentication token (rendered).")
    creds: str | None = Field(default=None, description="Path of a credentials (.creds) file (rendered).")
    subject: str = Field(description="Subject to consume (rendered); wildcards allowed.")
    serdeType: serde.Serde = Field(default="STRING", description="Legato: how the data is read, STRING (as Kestra) or JSON.")

    async def _connect(self, ctx: TriggerContext) -> Any:
        import nats

        options: dict[str, Any] = {"allow_reconnect": False, "connect_timeout": 10}
        for option, value in (("user", self.username), ("password", self.password), ("token", self.token), ("user_credentials", self.creds)):
            rendered = shared.rendered_text(ctx, value)
            if rendered:
                options[option] = rendered
        return await nats.connect(shared.required_text(ctx, self.url, "url"), **options)


def message_variables(msg: Any, serde_type: str, timestamp: datetime | None) -> dict[str, Any]:
    """trigger.* of a NATS message, with Kestra's names: subject, headers (name → list of values), data, timestamp."""
    headers: dict[str, list[str]] = {}
    for name, value in (msg.headers or {}).items():
        headers.setdefault(str(name), []).append(str(value))
    return {"subject": msg.subject, "headers": headers, "data": serde.decode(msg.data, serde_type), "timestamp": serde.iso(timestamp)}


@TRIGGERS.register
class NatsJetStreamTrigger(_NatsTrigger):
    """One execution per message of a JetStream stream; `trigger.data` is the message."""

    TYPE: ClassVar[str] = "nats.RealtimeTrigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.nats.RealtimeTrigger", "io.kestra.plugin.nats.core.RealtimeTrigger")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: watch\n    type: io.kestra.plugin.nats.RealtimeTrigger\n    url: nats://localhost:4222\n"
        "    subject: orders.>\n    durableId: legato-orders\n    deliverPolicy: All\n",
    )

    durableId: str | None = Field(default=None, description="Durable consumer name (rendered): the server keeps its position across restarts.")
    deliverPolicy: DeliverPolicy = Field(default="All", description="Where a new consumer starts: All, Last, New, ByStartSequence, ByStartTime (with `since`), LastPerSubject.")
    since: str | None = Field(default=None, description="ISO-8601 date a new consumer starts from (deliverPolicy ByStartTime).")
    batchSize: int = Field(default=10, ge=1, description="Messages fetched per request.")
    ackWait: Duration = Field(default=timedelta(seconds=30), description="Legato: how long the server waits for an acknowledgement before it redelivers a message (set when the consumer is created).")

    def source(self) -> RealtimeSource:
        return self

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        connection = await self._connect(ctx)
        pending: list[Any] = []
        subscription = None
        try:
            subject = shared.required_text(ctx, self.subject, "subject")
            jetstream = connection.jetstream()
            stream = await jetstream.find_stream_name_by_subject(subject)
            subscription = await jetstream.pull_subscribe(
                subject, durable=shared.rendered_text(ctx, self.durableId), stream=stream, config=self._config(ctx, stream),
            )
            yielded: set[int] = set()  # stream sequences handed out by this consumer
            while True:
                pending = await self._fetch(subscription)
                for msg in pending:
                    sequence = msg.metadata.sequence.stream
                    if sequence in yielded:  # redelivered to us while we hold it (ackWait passed): already out
                        continue
                    message = await self._message(ctx, msg, stream)
                    if message is not None:
                        yielded.add(sequence)
                        yield message
        finally:
            await self._hand_back(ctx, connection, subscription, pending)
            await connection.close()

    def _config(self, ctx: TriggerContext, stream: str) -> Any:
        from nats.js.api import AckPolicy, ConsumerConfig
        from nats.js.api import DeliverPolicy as Policy

        policies = {"All": Policy.ALL, "Last": Policy.LAST, "New": Policy.NEW, "ByStartSequence": Policy.BY_START_SEQUENCE,
                    "ByStartTime": Policy.BY_START_TIME, "LastPerSubject": Policy.LAST_PER_SUBJECT}
        config = ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=policies[self.deliverPolicy],
                                ack_wait=self.ackWait.total_seconds())
        since = shared.rendered_text(ctx, self.since)
        if since:
            config.deliver_policy = Policy.BY_START_TIME
            config.opt_start_time = datetime.fromisoformat(since.replace("Z", "+00:00")).astimezone(UTC)
        last = ctx.state.get("sequence")
        if self.durableId is None and ctx.state.get("stream") == stream and isinstance(last, int):
            # No durable consumer on the server: resume after the last message that became an execution.
            config.deliver_policy, config.opt_start_time, config.opt_start_seq = Policy.BY_START_SEQUENCE, None, last + 1
        elif config.deliver_policy == Policy.BY_START_SEQUENCE:
            config.opt_start_seq = 1
        return config

    async def _hand_back(self, ctx: TriggerContext, connection: Any, subscription: Any, pending: list[Any]) -> None:
        """NAK what this consumer holds without having acknowledged it, so that the next consumer gets it within
        seconds rather than after `ackWait`: the rest of the last batch, and what a fetch cancelled mid-way left in the
        subscription's buffer (nats-py keeps it in a private queue)."""
        held = [msg for msg in pending if not msg._ackd]
        try:
            if subscription is not None and connection.is_connected:
                await connection.flush(timeout=2)
                queue = getattr(getattr(subscription, "_sub", None), "_pending_queue", None)
                while queue is not None and not queue.empty():
                    msg = queue.get_nowait()
                    if (msg.reply or "").startswith("$JS.ACK.") and msg not in held:  # not a status notice (408...)
                        held.append(msg)
            # Redelivery waits until this consumer's own pull request, maybe still open on the server, expired:
            # sent to it, the message would be stuck until ackWait.
            for msg in held:
                await msg.nak(delay=_FETCH_WAIT_SECONDS + 0.5)
            if held:
                await connection.flush(timeout=2)
        except Exception as exc:  # closing anyway; the server redelivers after ackWait
            ctx.log.debug("trigger %s: could not hand messages back: %s", ctx.trigger_id, exc)

    async def _fetch(self, subscription: Any) -> list[Any]:
        import nats.errors

        try:
            return list(await subscription.fetch(self.batchSize, timeout=_FETCH_WAIT_SECONDS))
        except (nats.errors.TimeoutError, TimeoutError):  # nothing came (nats-py raises either)
            return []

    async def _message(self, ctx: TriggerContext, msg: Any, stream: str) -> Message | None:
        metadata = msg.metadata
        sequence = metadata.sequence.stream

        async def ack() -> None:
            await msg.ack_sync(timeout=10)

        try:
            variables = message_variables(msg, self.serdeType, metadata.timestamp)
        except serde.UndecodableMessage as exc:
            await shared.drop(ctx, f"subject {msg.subject}", exc, ack)
            return None
        variables |= {"stream": stream, "sequence": sequence}
        return Message(variables, ack=ack, state={"stream": stream, "sequence": sequence}, key=f"{stream}:{sequence}")


@TRIGGERS.register
class NatsSubjectTrigger(_NatsTrigger):
    """One execution per message published on a core NATS subject, while subscribed. At most once: NATS keeps
    nothing for a subscriber that is away (use the JetStream trigger for that)."""

    TYPE: ClassVar[str] = "nats.SubjectRealtimeTrigger"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: events\n    type: nats.SubjectRealtimeTrigger\n    url: nats://localhost:4222\n    subject: events.*\n",
    )

    queueGroup: str | None = Field(default=None, description="Queue group (rendered): messages are shared among the subscribers of the group.")

    def source(self) -> RealtimeSource:
        return self

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        connection = await self._connect(ctx)
        try:
            subscription = await connection.subscribe(shared.required_text(ctx, self.subject, "subject"), queue=shared.rendered_text(ctx, self.queueGroup) or "")
            await connection.flush()  # the subscription is registered on the server from here on
            async for msg in subscription.messages:
                try:
                    variables = message_variables(msg, self.serdeType, datetime.now(UTC))
                except serde.UndecodableMessage as exc:
                    await shared.drop(ctx, f"subject {msg.subject}", exc, None)
                    continue
                yield Message(variables)
            raise ConnectionError(f"the subscription to {self.subject} ended (connection closed)")
        finally:
            await connection.close()
