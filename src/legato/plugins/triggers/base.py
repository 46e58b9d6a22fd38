"""Contract between trigger sources and the scheduler's source runner (legato.scheduler.sources).

Two kinds of trigger read from outside systems:

- polling: every `interval` the runner calls `PollingSource.poll(ctx)`; a `Poll` becomes one execution.
- realtime: the runner keeps one long-lived task per trigger iterating `RealtimeSource.messages(ctx)`; each
  `Message` becomes one execution. When the iterator raises, the runner logs it and restarts it with
  exponential back-off; when the flow or trigger goes away it cancels the task (the source must clean up in
  `finally`/`async with`).

How a trigger type declares its kind: its model class subclasses `PollingTrigger` or `RealtimeTrigger` (both
are `legato.model.triggers.Trigger`s) and implements `source()`, returning the object that polls or consumes
(often a small class holding the rendered settings; the model itself may also implement poll/messages and
return `self`). Register it with `@TRIGGERS.register` (legato.model.task) under a short `TYPE` and Kestra's
class names in `ALIASES`, like every task. `trigger_kind(trigger)` tells the runner which one a trigger is.

Exactly once: the runner creates the execution and saves `state` (the cursor) in ONE transaction
(Store.fire_trigger), keyed by a fire key unique per poll/message. Only after that commit does it call
`Poll.commit()` (move/delete files) or `Message.ack()`. A crash in between re-delivers the item (at least once
towards the source), and the saved cursor or the fire key makes the second delivery create nothing when the
source can tell (stream ids, offsets); sources that cannot tell give at-least-once semantics, as Kestra does.

Acknowledgement: `ack()` follows a new execution, a duplicate fire key (recorded before) and a message the
trigger's `conditions` turned down; it does not follow a fire refused because another process took the
trigger's lease over (the runner then stops this consumer). A message being fired when the runner stops is
fired and acknowledged first (drain); only then is the iterator cancelled.

`ctx.state` is the cursor saved with the last execution of this trigger ({} at first); sources read it to
resume where they stopped (last stream id, last offset, last row key) and return the next one. It must stay
JSON-safe (str, int, float, bool, None, lists, dicts).

Modules: polling sources live in legato/plugins/triggers/*.py, realtime ones in
legato/plugins/triggers/realtime/ (its __init__ imports its modules so that they register).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import Field, field_validator

from legato.model.durations import Duration
from legato.model.triggers import Trigger
from legato.storage import Storage, uris


def _no_render_with(value: Any, extra: Mapping[str, Any]) -> Any:
    raise RuntimeError("this trigger context cannot render with extra variables")


@dataclass(frozen=True)
class TriggerContext:
    """What a source gets from the runner."""

    namespace: str
    flow_id: str
    trigger_id: str
    render: Callable[[Any], Any]  # renders a property value through the expression engine (secrets, vars)
    state: dict[str, Any]  # the source's persisted cursor (last id, offset...), JSON-safe
    log: logging.Logger
    # `render` with extra variables over the trigger's own (e.g. `response` for an HTTP responseCondition)
    render_with: Callable[[Any, Mapping[str, Any]], Any] = field(default=_no_render_with, repr=False)
    storage: Storage | None = field(default=None, repr=False)  # internal storage, for files the trigger outputs

    def file_uri(self, name: str) -> str:
        """A fresh internal-storage URI for a file this trigger outputs:
        kestra:///<namespace>/<flow>/triggers/<trigger>/<unique>/<name>."""
        return uris.build_uri(*uris.namespace_segments(self.namespace), self.flow_id, "triggers", self.trigger_id,
                              uuid.uuid4().hex, name)


async def _no_commit() -> None:
    return None


@dataclass(frozen=True)
class Poll:
    """What one poll found: one execution."""

    variables: dict[str, Any]  # becomes trigger.* of the execution (e.g. {"rows": [...], "size": n})
    state: dict[str, Any] | None = None  # new cursor, saved in the same transaction that creates the execution
    on_commit: Callable[[], Awaitable[None]] = field(default=_no_commit, repr=False)
    key: str | None = None  # fire key (unique per poll); None: the runner makes one up

    async def commit(self) -> None:
        """Side effect once the execution is recorded (MOVE/DELETE the files that fired it)."""
        await self.on_commit()


@dataclass(frozen=True)
class Message:
    """One message from a realtime source: one execution."""

    variables: dict[str, Any]  # trigger.* of the execution (e.g. {"value": ..., "key": ..., "topic": ...})
    ack: Callable[[], Awaitable[None]] | None = None  # called only after the execution is durably created
    state: dict[str, Any] | None = None  # cursor to save with the execution (offsets, stream ids)
    key: str | None = None  # fire key when the message has a stable id (stream id, offset); None: a uuid


@runtime_checkable
class PollingSource(Protocol):
    async def poll(self, ctx: TriggerContext) -> Poll | None:
        """Look once; None when there is nothing new. Blocking work must go through asyncio.to_thread."""
        ...


@runtime_checkable
class RealtimeSource(Protocol):
    def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        """Yield messages for as long as the trigger lives; raise to be restarted with back-off."""
        ...


class PollingTrigger(Trigger):
    """Base of polling trigger models: subclass, register with @TRIGGERS.register, implement source()."""

    KIND: ClassVar[Literal["polling"]] = "polling"

    interval: Duration = Field(default=timedelta(minutes=1), description="Time between two polls (ISO-8601, default PT1M).")
    allowConcurrent: bool = Field(default=False, description="Poll and fire even while the execution this trigger created last still runs.")

    @field_validator("interval")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("interval must be a positive duration (e.g. PT30S)")
        return value

    def source(self) -> PollingSource:
        """The object the runner polls."""
        raise NotImplementedError(f"{type(self).__name__} does not implement source()")


class RealtimeTrigger(Trigger):
    """Base of realtime trigger models: subclass, register with @TRIGGERS.register, implement source()."""

    KIND: ClassVar[Literal["realtime"]] = "realtime"

    def source(self) -> RealtimeSource:
        """The object the runner consumes."""
        raise NotImplementedError(f"{type(self).__name__} does not implement source()")


def trigger_kind(trigger: Trigger) -> Literal["polling", "realtime"] | None:
    """"polling", "realtime" or None (schedules, flow triggers, webhooks: fired elsewhere)."""
    if isinstance(trigger, PollingTrigger):
        return "polling"
    if isinstance(trigger, RealtimeTrigger):
        return "realtime"
    return None
