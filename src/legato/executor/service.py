"""The executor: consumes events, asks the engine what they mean, and writes the outcome in the event's
own transaction. It is the only writer of execution and task-run state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from legato.aio import wait_any
from legato.engine import events as ev
from legato.engine.decide import Engine
from legato.executor.commands import CommandRunner
from legato.model.cache import FlowCache
from legato.model.execution import LogRecord
from legato.model.state import State
from legato.store.ports import Store, StoredEvent, Tx

log = logging.getLogger("legato.executor")


class Executor:
    def __init__(self, store: Store, engine: Engine, flows: FlowCache, clock: Callable[[], datetime], *,
                 batch: int = 64, poll_seconds: float = 1.0):
        self.store = store
        self.engine = engine
        self.flows = flows
        self.clock = clock
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.commands = CommandRunner(flows, clock)

    def tick(self) -> int:
        """Process up to `batch` events; return how many were processed."""
        done = 0
        while done < self.batch and self.store.process_next_event(self._handle):
            done += 1
            if self.commands.cancelled:
                # After the commit, so the worker's next look sees the flag: it stops the task now.
                self.commands.cancelled = False
                self.store.wakeups.notify("cancel")
        return done

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            done = await asyncio.to_thread(self.tick)
            if done < self.batch:
                await wait_any(self.store.wakeups.wait("events", self.poll_seconds), stopping)

    def _handle(self, tx: Tx, stored: StoredEvent) -> None:
        view = tx.view()
        execution = view.execution
        now = self.clock()
        key = (execution.namespace, execution.flow_id, execution.flow_revision)
        flow = self.flows.get(key, lambda: _source(tx, key))
        if flow is None:
            self._fail(tx, stored, f"flow {key[0]}.{key[1]} revision {key[2]} no longer exists")
            return
        event = stored.event
        if isinstance(event, ev.ExecutionCreated) and flow.concurrency is not None:
            running = tx.running_count(execution.namespace, execution.flow_id, exclude=execution.id)
            event = event.model_copy(update={"running_of_flow": running})
        try:
            decision = self.engine.decide(flow, view, event, now)
        except Exception as exc:  # a bug must not wedge the queue: the execution fails, loudly
            log.exception("engine failed on %s for execution %s", event.kind, execution.id)
            self._fail(tx, stored, f"internal error while handling {event.kind}: {exc}")
            return
        tx.write(decision.execution, decision.task_runs.values(), decision.items)
        if decision.logs:
            runs = decision.task_runs
            tx.append_logs([
                LogRecord(execution_id=execution.id, task_run_id=run_id, level=level, message=message, timestamp=now,
                          task_id=runs[run_id].task_id if run_id in runs else None)
                for run_id, level, message in decision.logs
            ])
        current = decision.execution or execution
        for command in decision.commands:
            self.commands.carry_out(tx, current, flow, command)

    def _fail(self, tx: Tx, stored: StoredEvent, reason: str) -> None:
        execution = tx.view().execution
        if execution.state in (State.SUCCESS, State.WARNING, State.FAILED, State.KILLED, State.CANCELLED):
            return
        now = self.clock()
        failed = execution.model_copy(update={"error": reason, "ended": now}).with_state(State.FAILED, now)
        tx.write(failed, [], {})
        tx.append_logs([LogRecord(execution_id=execution.id, level="ERROR", message=reason, timestamp=now)])


def _source(tx: Tx, key: tuple[str, str, int]) -> str | None:
    record = tx.get_flow(key[0], key[1], key[2])
    return record.source if record is not None else None
