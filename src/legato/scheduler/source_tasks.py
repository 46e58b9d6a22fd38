"""One running trigger source: the polling loop or the realtime consumer of one trigger, owned by the
SourceRunner (legato.scheduler.sources)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from legato import logfields
from legato.aio import wait_any
from legato.backoff import Backoff
from legato.plugins.triggers import base
from legato.scheduler.failures import describe
from legato.scheduler.source_fire import SourceTarget, render_context

if TYPE_CHECKING:
    from legato.scheduler.sources import SourceRunner

log = logging.getLogger("legato.scheduler.sources")


class SourceTask:
    """The asyncio task running one trigger's source, stoppable with a drain of the item in hand."""

    def __init__(self, runner: SourceRunner, target: SourceTarget, source: Any, state: dict[str, Any]):
        self.runner = runner
        self.target = target
        self.source = source
        self.state = state  # the cursor: the one saved with the trigger's last execution
        self.stopping = asyncio.Event()
        self.fires = 0
        self.handled = 0  # messages taken from a realtime source
        self._task: asyncio.Task[None] | None = None
        self._in_hand: asyncio.Task[Any] | None = None  # the fire + ack/commit under way, never cancelled
        self.failing = False  # the last poll or consumer failed: its error is on the trigger's state

    def start(self) -> None:
        kind = base.trigger_kind(self.target.trigger)
        loop = self._polling() if kind == "polling" else self._realtime()
        self._task = asyncio.create_task(loop, name=f"source:{'.'.join(self.target.key)}")

    def done(self) -> bool:
        return self._task is not None and self._task.done()

    async def stop(self, drain_seconds: float) -> None:
        """Let the fire in hand complete (up to `drain_seconds`), then cancel the source."""
        self.stopping.set()
        if self._in_hand is not None and not self._in_hand.done():
            await asyncio.wait([self._in_hand], timeout=drain_seconds)
            if not self._in_hand.done():
                log.warning("%s: still busy after %g s; cancelled", self.target.label(), drain_seconds)
                self._in_hand.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def context(self) -> base.TriggerContext:
        """What the source sees: a fresh copy of the cursor each time."""
        variables = render_context(self.target)
        functions = self.runner.functions_for(self.target)
        renderer = self.runner.renderer

        def render(value: Any) -> Any:
            return renderer.render_all(value, variables, functions=functions, typed=True)

        def render_with(value: Any, extra: Mapping[str, Any]) -> Any:
            return renderer.render_all(value, {**variables, **extra}, functions=functions, typed=True)

        return base.TriggerContext(namespace=self.target.record.namespace, flow_id=self.target.record.id,
                                   trigger_id=self.target.trigger.id, render=render, state=dict(self.state),
                                   log=logging.getLogger(f"legato.trigger.{'.'.join(self.target.key)}"),
                                   render_with=render_with, storage=self.target.storage(self.runner.firer.storage))

    # polling ---------------------------------------------------------------------------------------

    async def _polling(self) -> None:
        trigger = self.target.trigger
        interval: timedelta = getattr(trigger, "interval", timedelta(minutes=1))
        exclusive = not getattr(trigger, "allowConcurrent", False)
        while not self.stopping.is_set():
            # The poll and its fire run to their end even when the source is stopped meanwhile (drain):
            # what the poll took from the outside system is never dropped half-way.
            self._in_hand = asyncio.create_task(self._poll_once(exclusive, interval),
                                                name=f"poll:{'.'.join(self.target.key)}")
            await asyncio.shield(self._in_hand)
            await wait_any(asyncio.sleep(interval.total_seconds()), self.stopping)

    async def _poll_once(self, exclusive: bool, interval: timedelta) -> None:
        try:
            decision = await asyncio.to_thread(self._may_poll, exclusive)
            if decision == "stop":
                self.stopping.set()
            elif decision == "poll":
                found = await self.source.poll(self.context())
                if found is not None:
                    await self._handle_poll(found, exclusive, interval)
                await self._recovered()
        except Exception as exc:
            await self._failed(f"poll failed: {describe(exc)}", interval)

    async def _failed(self, error: str, next_in: timedelta | None = None) -> None:
        self.failing = True
        try:
            await asyncio.to_thread(self.runner.firer.fail, self.target, error, owner=self.runner.owner, next_in=next_in)
        except Exception as exc:
            log.error("%s: %s (recording it failed: %s)", self.target.label(), error, describe(exc))

    async def _recovered(self) -> None:
        """The source works again: clear the error left on the trigger's state."""
        if self.failing:
            self.failing = False
            await asyncio.to_thread(self.runner.store.set_trigger_error, *self.target.key, None, self.runner.clock(),
                                    tenant=self.target.tenant)

    def _may_poll(self, exclusive: bool) -> str:
        """'poll'; 'wait' while the trigger's last execution runs (unless allowConcurrent); 'stop' once its
        stopAfter state was reached (blocking)."""
        state = self.runner.store.get_trigger_state(*self.target.key, tenant=self.target.tenant)
        if self._stop_after(state):
            return "stop"
        return "wait" if exclusive and self.runner.still_running(state) else "poll"

    async def _handle_poll(self, found: base.Poll, exclusive: bool, interval: timedelta) -> None:
        outcome, _ = await asyncio.to_thread(
            self.runner.firer.fire, self.target, found.variables, key=found.key, state=found.state,
            owner=self.runner.owner, exclusive=exclusive, next_in=interval)
        if outcome == "fired":
            self.fires += 1
            if found.state is not None:
                self.state = dict(found.state)
            await found.commit()
        elif outcome == "fenced":
            self.stopping.set()  # another process runs this trigger now
        elif outcome == "duplicate":
            await found.commit()  # recorded before (e.g. a crash before the commit): finish the job
        # locked (its execution started meanwhile) / skipped: items stay where they are for the next poll

    # realtime --------------------------------------------------------------------------------------

    async def _realtime(self) -> None:
        backoff = Backoff(self.runner.min_backoff, self.runner.max_backoff)
        while not self.stopping.is_set():
            handled = self.handled
            try:
                await self._consume()
                if self.stopping.is_set():
                    return
                raise RuntimeError("the source's message stream ended")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.stopping.is_set():
                    return
                if self.handled > handled:  # it worked for a while: start the back-off over
                    backoff.reset()
                delay = backoff.next()
                await self._failed(f"consumer failed, restarting in {delay:.1f} s: {describe(exc)}")
                await wait_any(asyncio.sleep(delay), self.stopping)

    async def _consume(self) -> None:
        """Fire each message until the stream ends or the task stops; the stream is closed either way."""
        messages = self.source.messages(self.context())
        try:
            async for message in messages:
                if self.stopping.is_set():
                    return
                self._in_hand = asyncio.create_task(self._handle_message(message),
                                                    name=f"message:{'.'.join(self.target.key)}")
                await asyncio.shield(self._in_hand)
        finally:
            close = getattr(messages, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()

    async def _handle_message(self, message: base.Message) -> None:
        self.handled += 1
        if self.target.trigger.stopAfter:
            state = await asyncio.to_thread(self.runner.store.get_trigger_state, *self.target.key,
                                           tenant=self.target.tenant)
            if await asyncio.to_thread(self._stop_after, state):
                self.stopping.set()
                return
        outcome, _ = await asyncio.to_thread(
            self.runner.firer.fire, self.target, message.variables, key=message.key, state=message.state,
            owner=self.runner.owner, exclusive=False)
        if outcome == "fenced":
            self.stopping.set()
            return
        if outcome == "fired":
            self.fires += 1
            if message.state is not None:
                self.state = dict(message.state)
        if message.ack is not None and outcome in ("fired", "duplicate", "skipped"):
            await message.ack()
        await self._recovered()

    # stopAfter -------------------------------------------------------------------------------------

    def _stop_after(self, state: Any) -> bool:
        """Disable the trigger once the execution it last created ended in a stopAfter state (blocking)."""
        trigger = self.target.trigger
        if not trigger.stopAfter or state is None or not state.locked_execution_id:
            return False
        store = self.runner.store
        last = store.get_execution(state.locked_execution_id)
        if last is None or last.state not in trigger.stopAfter:
            return False
        store.set_trigger_disabled(*self.target.key, True, self.runner.clock(), tenant=self.target.tenant)
        log.info("%s disabled: execution %s ended %s (stopAfter)", self.target.label(), last.id, last.state,
                 extra=logfields.lifecycle("trigger-disabled", execution_id=last.id))
        return True
