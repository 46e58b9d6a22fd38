"""The worker: claims jobs with a lease (or takes them from the executor of its own process), runs each
attempt, heartbeats, and reports results (fenced: a late result of a lost lease is rejected)."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Protocol

from legato import logfields, secrets_env
from legato.aio import wait_any
from legato.engine import context as expr_context
from legato.engine import events as ev
from legato.expressions import Masker, Renderer
from legato.flows import Flows
from legato.model.execution import Execution, LogRecord, TaskRun
from legato.model.flow import Flow
from legato.model.flowable_worker import ForEachItem, WorkerFlowable, WorkingDirectory
from legato.model.ids import new_id
from legato.model.state import State
from legato.model.task import Task, worker_keys
from legato.plugins.runnable import RunnableTask
from legato.plugins.scripts import tools
from legato.runners import docker_api, docker_reaper, forkserver, isolated, isolation
from legato.runners.select import RunnerSettings, sandbox_policy
from legato.storage import Storage
from legato.store import functions
from legato.store.ports import (
    AssetStore,
    ClaimedJob,
    ExecutionStore,
    FlowReader,
    FlowStore,
    Governance,
    Job,
    JobQueue,
    KVStore,
    LogStore,
    Notifying,
    TriggerStore,
)
from legato.telemetry import logs, metrics, observe
from legato.telemetry.tracing import Attempt
from legato.worker import fixtures, foreach_item, working_directory
from legato.worker.attempt import Outcome, run_attempt
from legato.worker.context import WorkerContext
from legato.worker.finisher import BatchFinisher
from legato.worker.group import WorkerJob

log = logging.getLogger("legato.worker")

# Finishes an attempt: (job, result, last logs) -> accepted. Default (None): store.finish_jobs, in batches.
Finisher = Callable[[Job, ev.TaskResult, Sequence[LogRecord]], bool]
LOG_FLUSH_SECONDS = 1.0
Loaded = tuple[RunnableTask | WorkerFlowable, WorkerContext, Masker, Flow, "_Source"]


class WorkerStore(FlowStore, ExecutionStore, JobQueue, LogStore, KVStore, TriggerStore, Governance, AssetStore, Notifying,
                  Protocol):
    """What a worker uses: the job queue, what its tasks reach, and the expression functions' reads."""


class Worker:
    def __init__(self, store: WorkerStore, flows: Flows, clock: Callable[[], datetime], *,
                 renderer: Renderer | None = None, slots: int = 16, groups: tuple[str | None, ...] = (None,),
                 lease: timedelta = timedelta(seconds=30), poll_seconds: float = 1.0,
                 functions: Mapping[str, Callable[..., Any]] | None = None, lane_backlog: int = 0,
                 storage: Storage | None = None, runner_settings: RunnerSettings | None = None,
                 drain_seconds: float | None = None):
        self.store = store
        self.flows = flows
        self.clock = clock
        self.renderer = renderer or Renderer(functions=secrets_env.FUNCTIONS)
        self.slots = slots
        self.groups = groups  # its tags, as registered
        self.keys = worker_keys(groups)  # the job keys it takes: its tags and their combinations
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.functions = dict(functions or {})
        self.storage = storage
        self.runner_settings = runner_settings
        # On stop, how long started attempts may run before they are handed back (None: until they end).
        self.drain_seconds = drain_seconds
        self._draining = False
        self._active: set[int] = set()  # held jobs that hold a slot (started), the rest wait for one
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"
        self.finish: Finisher | None = None
        self._finisher = BatchFinisher(functools.partial(store.finish_jobs, self.worker_id))
        # Jobs the local executor may lease to us beyond our slots; they wait here (leases heartbeated)
        # instead of in the database. 0 leaves them to any worker; a lone server takes them all.
        self.lane_backlog = lane_backlog
        self._running: dict[int, tuple[asyncio.Task[None], asyncio.Event]] = {}  # held jobs, queued or not
        self._promised = 0  # jobs offered by the local executor, not started yet
        self._slots: asyncio.Semaphore | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slot_freed = asyncio.Event()
        self._warmup: asyncio.Task[None] | None = None

    # local lane (called from the executor's thread) ----------------------------------------------
    def free(self, group: str | None) -> int:
        if group not in self.keys or self._loop is None or self._draining:
            return 0
        with self._lock:
            return self.slots + self.lane_backlog - len(self._running) - self._promised

    def offer(self, jobs: Sequence[ClaimedJob]) -> None:
        loop = self._loop
        if loop is None:
            return  # not running: the leases expire and the jobs are resubmitted
        with self._lock:
            self._promised += len(jobs)
        loop.call_soon_threadsafe(self._start_offered, list(jobs))

    def _start_offered(self, jobs: list[ClaimedJob]) -> None:
        with self._lock:
            self._promised -= len(jobs)
        for claimed in jobs:
            self._start(claimed.job, claimed)

    # main loop ---------------------------------------------------------------------------------------
    async def run(self, stopping: asyncio.Event) -> None:
        """Claim and run jobs until `stopping`; then wait for the attempts under way."""
        self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(self.slots)
        metrics.WORKER_SLOTS.inc(self.slots)
        # The leases are kept from a thread of their own: queued behind the attempts' work in the loop's default
        # pool (a burst of finishes, say), a heartbeat would come late and the leases it keeps would be lost.
        beats = ThreadPoolExecutor(max_workers=1, thread_name_prefix="worker-heartbeat")
        heartbeat = asyncio.create_task(self._heartbeat(stopping, beats), name="worker-heartbeat")
        # containers a worker that died on this host left running go now, not when they end
        reaper = asyncio.create_task(_reap_containers(self.runner_settings), name="worker-container-reaper")
        # the default runner's sandbox is started ahead, so that the first script task does not wait for it
        warmup = self._warmup = asyncio.create_task(asyncio.to_thread(_spare_sandbox, self.runner_settings, True),
                                                    name="worker-sandbox-warmup")
        try:
            while not stopping.is_set():
                with self._lock:
                    free = self.slots - len(self._running) - self._promised
                # With each job its execution and task run, read by the claim's transaction.
                jobs = await asyncio.to_thread(
                    self.store.claim_loaded, self.worker_id, self.keys, free, self.lease, self.clock()
                ) if free > 0 else []
                for job, loaded in jobs:
                    self._start(job, loaded)
                if len(jobs) < free or free <= 0:
                    self._slot_freed.clear()
                    waiter = self._slot_freed.wait() if free <= 0 else self.store.wakeups.wait("jobs", self.poll_seconds)
                    await wait_any(waiter, stopping)
            await self._drain()
        finally:
            self._loop = None
            metrics.WORKER_SLOTS.dec(self.slots)
            heartbeat.cancel()
            reaper.cancel()
            beats.shutdown(wait=False)
            await asyncio.shield(warmup)  # then its spare is released: a stopped worker keeps no sandbox started
            await asyncio.to_thread(_spare_sandbox, self.runner_settings, False)

    async def warmed(self, timeout: float = 60.0) -> bool:
        """Wait until this running worker has finished starting (its spare sandbox is up, where script tasks run
        isolated by default): True if it has within `timeout`. A benchmark's "worker that has started"."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._warmup is None:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.01)
        await asyncio.shield(self._warmup)
        left = max(0.0, deadline - asyncio.get_running_loop().time())
        return await asyncio.to_thread(_spares_ready, self.runner_settings, left)

    async def _drain(self) -> None:
        """Stop taking work; let started attempts finish within `drain_seconds`, hand back the rest."""
        self._draining = True
        waiting = [job_id for job_id in list(self._running) if job_id not in self._active]
        await self._hand_back(waiting)
        started = [t for t, _ in list(self._running.values())]
        if started:
            await asyncio.wait(started, timeout=self.drain_seconds)
        await self._hand_back(list(self._running))

    async def _hand_back(self, job_ids: list[int]) -> None:
        """Stop these attempts and put their jobs back in the queue, so another worker takes them now."""
        entries = [(job_id, self._running[job_id][0]) for job_id in job_ids if job_id in self._running]
        if not entries:
            return
        for _, task in entries:
            task.cancel()
        await asyncio.gather(*(t for _, t in entries), return_exceptions=True)
        released = await asyncio.to_thread(self.store.release_jobs, self.worker_id, [i for i, _ in entries])
        log.info("handed back %d of %d unfinished jobs on shutdown", released, len(entries))

    def _start(self, job: Job, claimed: ClaimedJob | None) -> None:
        cancelled = asyncio.Event()
        task = asyncio.create_task(self._run_job(job, claimed, cancelled), name=f"job-{job.id}")
        with self._lock:
            self._running[job.id] = (task, cancelled)

    async def _heartbeat(self, stopping: asyncio.Event, beats: ThreadPoolExecutor) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.05)
        loop = asyncio.get_running_loop()
        while not stopping.is_set() or self._running:
            # A kill wakes us at once; otherwise beat often enough to keep the leases.
            await self.store.wakeups.wait("cancel", interval)
            ids = list(self._running)
            if not ids:
                continue
            try:
                cancelled = await loop.run_in_executor(
                    beats, self.store.heartbeat, self.worker_id, ids, self.lease, self.clock())
            except Exception:
                log.exception("heartbeat failed")
                continue
            for job_id in cancelled:
                entry = self._running.get(job_id)
                if entry is not None:
                    entry[1].set()

    async def _run_job(self, job: Job, claimed: ClaimedJob | None, cancelled: asyncio.Event) -> None:
        with logs.bind(job.execution_id, job.task_run_id):
            await self._run_bound(job, claimed, cancelled)

    async def _run_bound(self, job: Job, claimed: ClaimedJob | None, cancelled: asyncio.Event) -> None:
        assert self._slots is not None
        try:
            accepted: bool | None = None
            async with self._slots:
                self._active.add(job.id)
                metrics.WORKER_SLOTS_BUSY.inc()
                try:
                    result, records, evented = await self._attempt(job, claimed, cancelled)
                finally:
                    metrics.WORKER_SLOTS_BUSY.dec()
                # The local executor's finish (one thread hop each) keeps the slot: released before it, quick
                # attempts would queue finishes in the thread pool faster than the store takes them, without bound.
                if not evented and self.finish is not None:
                    accepted = await asyncio.to_thread(self.finish, job, result, records)
            # Otherwise results go in batches, one transaction in flight (WorkingDirectory children's events
            # included, so that a job that reported events of its own is ended after them).
            if accepted is None:
                accepted = await self._finisher.finish(job, result, records)
            if not accepted:
                log.warning("result of job %s (attempt %s) rejected: the lease was lost", job.id, job.attempt,
                            extra=logfields.lifecycle("result-rejected", execution_id=job.execution_id,
                                                      task_run_id=job.task_run_id))
        except Exception:
            log.exception("job %s crashed the worker loop; its lease will expire and it will be resubmitted", job.id,
                          extra=logfields.lifecycle("job-crashed", execution_id=job.execution_id,
                                                    task_run_id=job.task_run_id))
        finally:
            with self._lock:
                self._running.pop(job.id, None)
                self._active.discard(job.id)
            self._slot_freed.set()

    # one attempt -------------------------------------------------------------------------------------
    async def _attempt(self, job: Job, claimed: ClaimedJob | None,
                       cancelled: asyncio.Event) -> tuple[ev.TaskResult, list[LogRecord], bool]:
        started = self.clock()
        ran: list[tuple[Execution, Task, str | None]] = []  # what ran (and its parent run): for metrics and span

        def result(out: Outcome) -> ev.TaskResult:
            ended = self.clock()
            if ran:
                _observe(job, *ran[0], out, started, ended)
            return ev.TaskResult(task_run_id=job.task_run_id, attempt=job.attempt, state=out.state, outputs=out.outputs,
                                 metrics=out.metrics, error=out.error, effects=out.effects, worker_id=self.worker_id,
                                 started=started, ended=ended, runner=out.runner)

        # Inline only when everything is at hand: a flow still to be read and parsed (a cold worker's first
        # tasks, plugins loading) would stall the loop, and with it the heartbeats that keep the leases.
        loaded = self._context(job, claimed, cancelled) if claimed and _key(claimed.execution) in self.flows \
            else await asyncio.to_thread(self._context, job, claimed, cancelled)
        if isinstance(loaded, str):
            return result(Outcome(State.FAILED, error=loaded)), [], False
        task, wctx, masker, flow, source = loaded
        ran.append((wctx.execution, task, wctx.task_run.parent_id))
        fixture = fixtures.of(wctx, task.id)
        if fixture is not None:  # a flow unit test gives this task's result: it is not run
            return result(fixtures.outcome(fixture, wctx, masker)), wctx.drain(), False
        flusher = asyncio.create_task(_flush_while_running(wctx), name=f"logs-{job.id}")
        try:
            if isinstance(task, WorkerFlowable):
                group = WorkerJob(self, job, flow, source, wctx, masker, cancelled)
                try:
                    if isinstance(task, WorkingDirectory):
                        out = await working_directory.run(group, task)
                    else:
                        assert isinstance(task, ForEachItem)
                        out = await foreach_item.run(group, task)
                except Exception as exc:  # fail this attempt rather than resubmit it forever
                    log.exception("task %s failed unexpectedly", task.id,
                                  extra=logfields.lifecycle("task-crashed", execution_id=job.execution_id,
                                                            task_run_id=job.task_run_id))
                    out = Outcome(State.FAILED, error=masker.mask(f"{type(exc).__name__}: {exc}"))
                    wctx.logger.error(out.error or "")
                return result(out), wctx.drain(), group.evented
            out = await run_attempt(task, wctx, masker, cancelled)
            return result(out), wctx.drain(), False
        finally:
            flusher.cancel()

    def _context(self, job: Job, claimed: ClaimedJob | None, cancelled: asyncio.Event) -> Loaded | str:
        """Load what the attempt needs (from the executor's snapshot when it gave one); a message
        instead when it cannot run at all."""
        view = self.store.read_view(job.execution_id, claimed.execution if claimed else None)
        if view is None:
            return f"execution {job.execution_id} not found"
        execution = view.execution
        key = _key(execution)
        flow = self.flows.get(key, lambda: _flow_source(self.store, key))
        if flow is None:
            return f"flow {key[1]}.{key[2]} revision {key[3]} not found"
        run = claimed.task_run if claimed else view.task_run(job.task_run_id)
        source = _Source(view, {r.id: r for r in claimed.ancestors} if claimed else {})
        task = flow.task(run.task_id)
        if not isinstance(task, RunnableTask | WorkerFlowable):
            return f"task '{task.id}' ({task.type}) cannot run on a worker"
        wctx, masker = self.task_context(flow, execution, source, run, task, job.attempt, cancelled)
        return task, wctx, masker, flow, source

    def task_context(self, flow: Flow, execution: Execution, source: Any, run: TaskRun, task: Task, attempt: int,
                     cancelled: asyncio.Event, extra: dict[str, Any] | None = None) -> tuple[WorkerContext, Masker]:
        """The RunContext of one attempt of `run`, its expressions seeing the runs of `source` (and `extra`)."""
        masker = Masker()
        # SECRET inputs reach expressions as placeholders: revealed where a task uses them, masked in its logs
        variables = expr_context.build(flow, execution, source, run, task_type=task.type, secrets=masker.placeholder,
                                       extra=extra)
        wctx = WorkerContext(
            store=self.store, flows=self.flows, renderer=self.renderer, masker=masker, variables=variables,
            execution=execution, task_run=run, attempt=attempt, flow_namespace=execution.namespace, flow_id=execution.flow_id,
            log_level=task.logLevel, clock=self.clock, cancelled=cancelled,
            functions={**functions.bind(self.store, execution.namespace, execution.id, self.clock,
                                        tenant=execution.tenant), **self.functions},
            storage=self.storage, runner_settings=self.runner_settings,
        )
        return wctx, masker


def _key(execution: Execution) -> tuple[str, str, str, int]:
    return execution.tenant, execution.namespace, execution.flow_id, execution.flow_revision


class _Source:
    """The context's run source: the runs the executor handed over, else a read view."""

    def __init__(self, view: Any, known: dict[str, Any]):
        self._view = view
        self._known = known

    def run(self, task_run_id: str) -> Any:
        return self._known.get(task_run_id) or self._view.task_run(task_run_id)

    def outputs_of(self, task_id: str) -> Any:
        return self._view.outputs_of(task_id)


def _observe(job: Job, execution: Execution, task: Task, parent: str | None, out: Outcome, started: datetime,
             ended: datetime) -> None:
    observe.attempt_ended(Attempt(
        execution_id=job.execution_id, namespace=execution.namespace, flow_id=execution.flow_id, task_id=task.id,
        task_type=task.type, task_run_id=job.task_run_id, attempt=job.attempt, state=out.state, started=started,
        ended=ended, error=out.error, parent_task_run_id=parent))


def _flow_source(store: FlowReader, key: tuple[str, str, str, int]) -> str | None:
    record = store.get_flow(key[1], key[2], key[3], tenant=key[0])
    return record.source if record is not None else None


def _spare_sandbox(settings: RunnerSettings | None, keep: bool) -> None:
    """Keep (or, once stopping, release) a spare sandbox of the default runner (`isolated.Sandboxes.prepare`)
    where script tasks run isolated by default; nothing where the worker's settings come from each task's
    context."""
    if settings is None or settings.unsafe or settings.default == "sandbox":
        return
    try:
        if isolation.probe() is None:
            pool = isolated.sandboxes(sandbox_policy(settings))
            shape = (forkserver.default_interpreter(), (str(tools.PYTHON_HELPERS),))
            if keep:
                pool.prepare(*shape)
            else:
                pool.release(*shape)
    except Exception:
        log.exception("starting a spare sandbox failed; the first script task of each namespace starts its own")


def _spares_ready(settings: RunnerSettings | None, timeout: float) -> bool:
    if settings is None or settings.unsafe or settings.default == "sandbox" or isolation.probe() is not None:
        return True  # no spare is kept
    return isolated.sandboxes(sandbox_policy(settings)).spares_ready(timeout)


async def _reap_containers(settings: RunnerSettings | None) -> None:
    """Remove the Docker containers of dead workers on this host, where an engine answers."""
    environ = (settings or RunnerSettings.from_env()).environ
    try:
        address = docker_api.engine_address(None, environ)
        if await asyncio.to_thread(docker_api.ping, address):
            await docker_reaper.reap_at(address)
    except Exception:
        log.exception("looking for containers left by dead workers failed")


async def _flush_while_running(wctx: WorkerContext) -> None:
    """Logs of a long attempt reach the store every second; a short one ships them with its result."""
    while True:
        await asyncio.sleep(LOG_FLUSH_SECONDS)
        await asyncio.to_thread(wctx.flush)
