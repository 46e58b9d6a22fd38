"""Drive a realtime source the way the scheduler's runner does, against a real service: iterate its messages in
a task, acknowledge each one, cancel the task to stop the consumer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any

import legato.plugins.triggers.realtime  # noqa: F401  (registers the realtime trigger types)
from legato.expressions import Renderer
from legato.plugins.triggers.base import Message, RealtimeSource, TriggerContext

_renderer = Renderer()


def unique(prefix: str) -> str:
    """A queue/topic/stream name no other test uses."""
    return f"{prefix}_{secrets.token_hex(5)}"


def context(variables: dict[str, Any] | None = None, state: dict[str, Any] | None = None, trigger_id: str = "watch",
            flow_id: str | None = None) -> TriggerContext:
    """A context whose render() goes through the real expression engine with `variables`."""
    values = variables or {}
    return TriggerContext(
        namespace="tests.realtime", flow_id=flow_id or unique("flow"), trigger_id=trigger_id,
        render=lambda v: _renderer.render_all(v, values, typed=True), state=state or {},
        log=logging.getLogger("tests.realtime"),
    )


class Consumer:
    """One run of a source: messages are collected (and acknowledged unless told otherwise) until stop()."""

    def __init__(self, source: RealtimeSource, ctx: TriggerContext, *, ack_first: int | None = None) -> None:
        self.received: list[Message] = []
        self.acked: list[Message] = []
        self._ack_first = ack_first  # acknowledge only the first N messages, keep the rest unacknowledged
        self._arrived = asyncio.Event()
        self._task = asyncio.create_task(self._run(source, ctx), name="consumer")

    async def _run(self, source: RealtimeSource, ctx: TriggerContext) -> None:
        async for message in source.messages(ctx):
            self.received.append(message)
            if message.ack is not None and (self._ack_first is None or len(self.acked) < self._ack_first):
                await message.ack()
                self.acked.append(message)
            self._arrived.set()

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[Message]:
        """The first `count` messages; fails when they do not come within `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                if self._task.done():
                    self._task.result()  # the source raised: show why
                    raise AssertionError(f"the source ended after {len(self.received)} of {count} messages")
                self._arrived.clear()
                await asyncio.wait([asyncio.ensure_future(self._arrived.wait()), self._task], return_when=asyncio.FIRST_COMPLETED)
        return self.received[:count]

    async def quiet(self, seconds: float = 1.0) -> None:
        """Nothing more arrives for `seconds`."""
        before = len(self.received)
        await asyncio.sleep(seconds)
        extra = [m.variables for m in self.received[before:]]
        assert not extra, f"unexpected messages: {extra}"

    async def stop(self) -> None:
        """Cancel the consumer as the runner does when the trigger goes away."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def values(messages: list[Message], name: str = "value") -> list[Any]:
    return [m.variables[name] for m in messages]
