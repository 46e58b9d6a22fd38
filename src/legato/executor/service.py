"""The executor: consumes events, asks the engine what they mean, and writes the outcome in the event's
own transaction. It is the only writer of execution and task-run state.

With a worker in the same process (a "local lane"), it leases the jobs it dispatches straight to that
worker and processes the worker's results in the transaction that finishes the job: no claim, no event
row, one transaction per task. Jobs stay rows with leases, so a crash loses nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from legato import logfields
from legato.aio import wait_any
from legato.engine import events as ev
from legato.engine.decide import Engine
from legato.executor.commands import CommandRunner
from legato.flows import Flows
from legato.model.execution import Execution, LogRecord, TaskRun
from legato.model.flow import Flow
from legato.model.flowable_worker import WorkerFlowable
from legato.model.state import TERMINAL, State
from legato.plugins.runnable import RunnableTask
from legato.storage import Storage
from legato.storage import functions as storage_functions
from legato.storage import tenants as tenant_storage
from legato.store import functions
from legato.store.ports import (
    ClaimedJob,
    ExecutionStore,
    Governance,
    Job,
    JobQueue,
    KVStore,
    LogStore,
    Notifying,
    ServerRegistry,
    StoredEvent,
    Tx,
)
from legato.telemetry import logs, observe, tracing
from legato.telemetry.tracing import Attempt


class ExecutorStore(ExecutionStore, JobQueue, LogStore, KVStore, ServerRegistry, Governance, Notifying, Protocol):
    """What the executor uses: events applied in a Tx, results of in-process workers, the registry (worker
    groups served), and the expression functions' reads."""


log = logging.getLogger("legato.executor")


class LocalLane(Protocol):
    """A worker of this process that accepts jobs directly (implemented by legato.worker.Worker)."""

    worker_id: str
    lease: timedelta

    def free(self, group: str | None) -> int:
        """How many more jobs of `group` it can start now."""
        ...

    def offer(self, jobs: Sequence[ClaimedJob]) -> None:
        """Start these jobs (already leased to it); callable from any thread."""
        ...


LIVE_REFRESH = timedelta(seconds=5)
LIVE_FOR = timedelta(seconds=60)  # a worker whose heartbeat is older is taken for dead


class Executor:
    def __init__(self, store: ExecutorStore, engine: Engine, flows: Flows, clock: Callable[[], datetime], *,
                 batch: int = 64, poll_seconds: float = 1.0, lane: LocalLane | None = None, threads: int = 1,
                 storage: Storage | None = None, events_per_tx: int = 32):
        self.store = store
        self.engine = engine
        self.flows = flows
        self.clock = clock
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.lane = lane
        self.storage = storage  # for read(), fileExists()... in flowable properties and flow outputs
        # Each event is applied under its execution's row lock, so threads never share an execution; a
        # single-writer database gains nothing from more than one.
        self.threads = threads if store.concurrent_writers else 1
        # Executions whose queued events one transaction applies (one commit, one statement per table for
        # their writes). Only where a round trip costs: SQLite applies one event per transaction, so its
        # single write lock is never held long.
        self.events_per_tx = events_per_tx if store.concurrent_writers else 1
        self._live: tuple[frozenset[str | None], ...] = ()  # the tags of each live worker (workerSelector)
        self._live_at: datetime | None = None

    def live_workers(self) -> tuple[frozenset[str | None], ...]:
        """The tags of each worker alive now (this process's own and the registered ones), refreshed at most
        every few seconds: what a workerSelector's fallback is decided on."""
        now = self.clock()
        if self._live_at is None or now - self._live_at > LIVE_REFRESH:
            own = getattr(self.lane, "groups", None)
            found = [frozenset(own)] if own is not None else []
            found += [frozenset(s.worker_groups) for s in self.store.list_servers()
                      if "worker" in s.roles and s.stopped is None and now - s.heartbeat_at < LIVE_FOR]
            self._live, self._live_at = tuple(found), now
        return self._live

    def tick(self) -> int:
        """Process up to `batch` events; return how many were processed."""
        self.live_workers()  # refreshed outside the transactions that read it
        done = 0
        while done < self.batch:
            runner = self._runner()
            handler = functools.partial(self._handle, runner=runner)
            if self.events_per_tx > 1:
                applied = self.store.process_events(handler, self.events_per_tx)
            else:
                applied = int(self.store.process_next_event(handler))
            if not applied:
                break
            self._after_commit(runner)
            done += applied
            if self.events_per_tx > 1 and applied < self.events_per_tx:
                break  # a short batch: nothing else was free to take; the next wake-up brings more
        return done

    def finish_local(self, job: Job, result: ev.Event, logs: Sequence[LogRecord]) -> bool:
        """A local worker's result: finish the job and apply the result in one transaction."""
        runner = self._runner()
        accepted = self.store.finish_and_process(job, result, logs, functools.partial(self._handle, runner=runner))
        if accepted:
            self._after_commit(runner)
        return accepted

    async def run(self, stopping: asyncio.Event) -> None:
        await asyncio.gather(*(self._loop(stopping) for _ in range(self.threads)))

    async def _loop(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            done = await asyncio.to_thread(self.tick)
            if done < self.batch:
                await wait_any(self.store.wakeups.wait("events", self.poll_seconds), stopping)

    def _runner(self) -> CommandRunner:
        return CommandRunner(self.flows, self.clock, self.lane, self.storage, live=lambda: self._live)

    def _after_commit(self, runner: CommandRunner) -> None:
        if runner.cancelled:
            # After the commit, so the worker's next look sees the flag: it stops the task now.
            self.store.wakeups.notify("cancel")
        if runner.handoff and self.lane is not None:
            self.lane.offer(runner.handoff)
        for flowable in runner.flowables_ended:
            observe.flowable_ended(flowable)
        for execution in runner.ended:
            observe.execution_ended(execution)

    def _handle(self, tx: Tx, stored: StoredEvent, runner: CommandRunner) -> None:
        with logs.bind(stored.execution_id):
            self._apply(tx, stored, runner)

    def _apply(self, tx: Tx, stored: StoredEvent, runner: CommandRunner) -> None:
        view = tx.view()
        execution = view.execution
        now = self.clock()
        key = (execution.tenant, execution.namespace, execution.flow_id, execution.flow_revision)
        flow = self.flows.get(key, lambda: _source(tx, key))
        if flow is None:
            self._fail(tx, f"flow {key[1]}.{key[2]} revision {key[3]} no longer exists", runner)
            return
        event = stored.event
        if isinstance(event, ev.ExecutionCreated) and flow.concurrency is not None:
            running = tx.running_count(execution.namespace, execution.flow_id, exclude=execution.id,
                                       tenant=execution.tenant)
            event = event.model_copy(update={"running_of_flow": running})
        try:
            bound = functions.bind(self.store, execution.namespace, execution.id, self.clock, tenant=execution.tenant)
            if self.storage is not None:
                scope = storage_functions.FileScope(execution.namespace, execution.flow_id, execution.id,
                                                    trigger=execution.trigger, parent_id=execution.parent_id)
                files = tenant_storage.of_tenant(self.storage, execution.tenant)
                bound = {**storage_functions.bind(files, scope), **bound}
            decision = self.engine.decide(flow, view, event, now, functions=bound)
        except Exception as exc:  # a bug must not wedge the queue: the execution fails, loudly
            log.exception("engine failed on %s for execution %s", event.kind, execution.id,
                          extra=logfields.lifecycle("engine-failed", execution_id=execution.id))
            self._fail(tx, f"internal error while handling {event.kind}: {exc}", runner)
            return
        tx.write(decision.execution, decision.task_runs.values(), decision.items)
        if decision.execution is not None and decision.execution.state in TERMINAL and execution.state not in TERMINAL:
            runner.ended.append(decision.execution)
        if tracing.enabled():
            try:  # observing never fails an event
                runner.flowables_ended += _flowables_ended(flow, execution, decision.task_runs.values(), now)
            except Exception:
                log.exception("tracing the task runs of execution %s failed", execution.id)
        if decision.logs:
            runs = decision.task_runs
            tx.append_logs([
                _engine_log(execution.id, runs.get(run_id) if run_id else None, run_id, level, message, now)
                for run_id, level, message in decision.logs
            ])
        runner.carry_out_all(tx, decision.execution or execution, flow, decision)

    def _fail(self, tx: Tx, reason: str, runner: CommandRunner) -> None:
        execution = tx.view().execution
        if execution.state in TERMINAL:
            return
        now = self.clock()
        failed = execution.model_copy(update={"error": reason, "ended": now}).with_state(State.FAILED, now)
        tx.write(failed, [], {})
        runner.ended.append(failed)
        tx.append_logs([LogRecord(execution_id=execution.id, level="ERROR", message=reason, timestamp=now)])


def _flowables_ended(flow: Flow, execution: Execution, runs: Iterable[TaskRun], now: datetime) -> list[Attempt]:
    """The task runs this decision ended that no worker ran (flowables), for their spans."""
    ended = []
    for run in runs:
        last = run.histories[-1] if run.histories else None
        if run.state not in TERMINAL or last is None or last.date != now or last.state != run.state:
            continue  # not ended by this decision
        task = flow.task(run.task_id)
        if isinstance(task, RunnableTask | WorkerFlowable):
            continue  # the worker records its attempts
        ended.append(Attempt(
            execution_id=execution.id, namespace=execution.namespace, flow_id=execution.flow_id, task_id=run.task_id,
            task_type=task.type, task_run_id=run.id, attempt=0, state=run.state, started=run.histories[0].date,
            ended=now, error=run.error, parent_task_run_id=run.parent_id))
    return ended


def _source(tx: Tx, key: tuple[str, str, str, int]) -> str | None:
    record = tx.get_flow(key[1], key[2], key[3], tenant=key[0])
    return record.source if record is not None else None


def _engine_log(execution_id: str, run: TaskRun | None, run_id: str | None, level: str, message: str,
                now: datetime) -> LogRecord:
    """A line the engine wrote; about a task run, it belongs to the run's latest attempt (attemptNumber from 0)."""
    attempt = len(run.attempts) - 1 if run is not None and run.attempts else None
    return LogRecord(execution_id=execution_id, task_run_id=run_id, level=level, message=message, timestamp=now,
                     task_id=run.task_id if run is not None else None, attempt=attempt)
