"""Carrying out the engine's commands inside the event's transaction."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, assert_never

from legato import logfields
from legato.engine import commands as cmd
from legato.engine import events as ev
from legato.engine.retry import FLOW_ATTEMPT, FLOW_SINCE
from legato.engine.start import EXTRACT, new_execution
from legato.engine.worker_flowables import subflow_execution_id
from legato.flows import Flows
from legato.model.errors import FlowValidationError, InputsError
from legato.model.execution import Execution, LogRecord, StateEntry, TaskRun
from legato.model.flow import Flow
from legato.model.ids import derived_id
from legato.model.state import State
from legato.storage import Storage
from legato.storage import tenants as tenant_storage
from legato.store.ports import ClaimedJob, Tx
from legato.telemetry.tracing import Attempt

if TYPE_CHECKING:
    from legato.executor.service import LocalLane

log = logging.getLogger("legato.executor")


class CommandRunner:
    """Carries out one decision's commands; made anew for every transaction."""

    def __init__(self, flows: Flows, clock: Callable[[], datetime], lane: LocalLane | None = None,
                 storage: Storage | None = None, live: Callable[[], Sequence[frozenset[str | None]]] = tuple):
        self.live = live  # the tags of each live worker, for workerSelector fallbacks
        self.flows = flows
        self.clock = clock
        self.lane = lane
        self.storage = storage  # files the engine asks to write (a Loop's STORE outputs)
        self.cancelled = False  # a job was flagged for cancellation: wake the workers after the commit
        self.handoff: list[ClaimedJob] = []  # jobs leased to the local worker, to start after the commit
        self.ended: list[Execution] = []  # executions this transaction ended, reported after the commit
        self.flowables_ended: list[Attempt] = []  # task runs it ended that no worker ran, for their spans

    def carry_out_all(self, tx: Tx, execution: Execution, flow: Flow, decision: cmd.Decision) -> None:
        local: list[cmd.DispatchJob] = []  # jobs for this process's own worker, queued together at the end
        for command in decision.commands:
            if isinstance(command, cmd.DispatchJob) and command.fallback is not None:
                routed = self._route(tx, execution, command, decision.task_runs.get(command.task_run_id))
                if routed is None:
                    continue
                command = routed
            if isinstance(command, cmd.DispatchJob) and self._runs_locally(decision, command, len(local)):
                local.append(command)
                continue
            self.carry_out(tx, execution, flow, command)
        self._dispatch_locally(tx, execution, decision, local)

    def _route(self, tx: Tx, execution: Execution, command: cmd.DispatchJob, run: TaskRun | None) -> cmd.DispatchJob | None:
        """A workerSelector's job: to a worker group some live worker serves, or its fallback (None: the task
        ended without running, its result is queued)."""
        live = self.live()
        wanted = command.any_of or tuple((command.worker_group or "").split("+"))
        if command.any_of:
            for tag in wanted:
                if any(tag in tags for tags in live):
                    return dataclasses.replace(command, worker_group=tag, any_of=())
        elif any(set(wanted) <= tags for tags in live):
            return command
        match command.fallback:
            case "WAIT":
                return command
            case "IGNORE":
                return dataclasses.replace(command, worker_group=None, any_of=())
        how = "all of" if not command.any_of else "any of"
        reason = (f"no live worker has {how} the tags {', '.join(wanted)} (workerSelector fallback "
                  f"{command.fallback}: the task is not run)")
        tx.append_logs([LogRecord(execution_id=execution.id, task_run_id=command.task_run_id,
                                  task_id=run.task_id if run else None, attempt=command.attempt - 1, level="ERROR",
                                  message=reason, timestamp=self.clock())])
        tx.insert_event(execution.id, ev.TaskResult(task_run_id=command.task_run_id, attempt=command.attempt,
                                                    state=State.FAILED, error=reason))
        return None

    def _runs_locally(self, decision: cmd.Decision, command: cmd.DispatchJob, taken: int) -> bool:
        """Whether this process's worker takes the job: it has a free slot for it (`taken` already promised)."""
        lane = self.lane
        return (lane is not None and command.task_run_id in decision.task_runs
                and lane.free(command.worker_group) > len(self.handoff) + taken)

    def _dispatch_locally(self, tx: Tx, execution: Execution, decision: cmd.Decision,
                          commands: list[cmd.DispatchJob]) -> None:
        if not commands:
            return
        assert self.lane is not None
        claim = (self.lane.worker_id, self.clock() + self.lane.lease)
        jobs = tx.insert_claimed_jobs(execution.id, [(c.task_run_id, c.attempt, c.worker_group) for c in commands],
                                      claim)
        for job in jobs:  # a job queued before (an event applied twice) is not handed off again
            run = decision.task_runs[job.task_run_id]
            ancestors = _ancestors(tx, decision, run)
            self.handoff.append(ClaimedJob(job=job, execution=execution, task_run=run, ancestors=ancestors))

    def carry_out(self, tx: Tx, execution: Execution, flow: Flow, command: cmd.Command) -> None:
        match command:
            case cmd.DispatchJob():
                tx.insert_job(execution.id, command.task_run_id, command.attempt, command.worker_group)
            case cmd.CancelJob():
                self.cancelled = True
                if not tx.request_cancel(command.task_run_id):
                    tx.insert_event(execution.id, ev.JobCancelled(task_run_id=command.task_run_id))
            case cmd.ScheduleTimer():
                # Scoped by execution: execution-level timers (start, kill) have no task run id in their key.
                tx.insert_timer(execution.id, command.at, command.timer, command.task_run_id,
                                f"{execution.id}/{command.key}")
            case cmd.CancelTimers():
                tx.delete_timers(command.task_run_id)
            case cmd.CreateSubflow():
                self._create_subflow(tx, execution, command)
            case cmd.KillChildren():
                for child_id in tx.active_children(command.execution_id):
                    tx.insert_event(child_id, ev.KillRequested())
            case cmd.NotifyParent():
                tx.insert_event(command.parent_execution_id, ev.ChildExecutionEnded(
                    task_run_id=command.parent_task_run_id, child_execution_id=command.child_execution_id,
                    state=command.state, outputs=command.outputs, outputs_error=command.outputs_error,
                ))
            case cmd.ExecutionEnded():
                if flow.concurrency is not None:
                    queued = tx.oldest_queued(command.namespace, command.flow_id, tenant=execution.tenant)
                    if queued is not None:
                        tx.insert_event(queued, ev.ExecutionDequeued())
            case cmd.CreateRetryExecution():
                self._retry_execution(tx, execution, command)
            case cmd.WriteFile():
                if self.storage is None:
                    raise RuntimeError(f"no internal storage to write {command.uri}")
                # Written before the commit: a rolled-back event leaves a file its retry writes again.
                tenant_storage.of_tenant(self.storage, execution.tenant).put(command.uri, command.data)
            case _:
                assert_never(command)

    def _load(self, tx: Tx, tenant: str, namespace: str, flow_id: str,
              revision: int | None) -> tuple[Flow, int] | None:
        """A flow of `tenant` (a subflow is looked up in its parent's tenant only)."""
        record = tx.get_flow(namespace, flow_id, revision, tenant=tenant)
        if record is None or record.deleted:
            return None
        flow = self.flows.get((tenant, namespace, flow_id, record.revision), lambda: record.source)
        return (flow, record.revision) if flow is not None else None

    def _create_subflow(self, tx: Tx, parent: Execution, command: cmd.CreateSubflow) -> None:
        child_id = subflow_execution_id(parent.id, command.task_run_id, parent.restarts, command.batch, command.attempt)
        try:
            found = self._load(tx, parent.tenant, command.namespace, command.flow_id, command.revision)
            if found is None:
                raise LookupError(f"flow {command.namespace}.{command.flow_id} not found")
            child_flow, revision = found
            child = new_execution(
                child_flow, revision, command.inputs, execution_id=child_id, now=self.clock(),
                labels=command.labels, parent=(parent.id, command.task_run_id),
                trigger={"executionId": parent.id, "namespace": parent.namespace, "flowId": parent.flow_id},
                scratch={EXTRACT: command.extract} if command.extract else None, tenant=parent.tenant,
            )
        except (LookupError, InputsError, FlowValidationError, ValueError) as exc:
            tx.insert_event(parent.id, ev.SubflowCreated(task_run_id=command.task_run_id, error=str(exc)))
            return
        tx.create_execution(child)
        tx.insert_event(parent.id, ev.SubflowCreated(task_run_id=command.task_run_id, child_execution_id=child_id))

    def _retry_execution(self, tx: Tx, failed: Execution, command: cmd.CreateRetryExecution) -> None:
        now = self.clock()
        retry = failed.model_copy(update={
            "id": derived_id(failed.origin_id or failed.id, "flow-retry", command.attempt),
            "state": State.CREATED, "histories": (StateEntry(state=State.CREATED, date=now),),
            "outputs": None, "variables": {}, "ended": None, "error": None, "restarts": 0, "created": now,
            "origin_id": failed.origin_id or failed.id, "scheduled_at": command.at,
            "scratch": {FLOW_ATTEMPT: command.attempt, FLOW_SINCE: command.since.isoformat()},
        })
        tx.create_execution(retry)
        log.info("retry: execution %s re-created as %s (attempt %d)", failed.id, retry.id, command.attempt,
                 extra=logfields.lifecycle("execution-retried", execution_id=retry.id))


def _ancestors(tx: Tx, decision: cmd.Decision, run: TaskRun) -> tuple[TaskRun, ...]:
    """The runs above `run`, as this transaction left them (the engine has just read or written them)."""
    out: list[TaskRun] = []
    parent_id = run.parent_id
    while parent_id is not None:
        parent = decision.task_runs.get(parent_id) or tx.view().task_run(parent_id)
        out.append(parent)
        parent_id = parent.parent_id
    return tuple(out)
