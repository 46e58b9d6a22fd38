"""Flow triggers: a new execution of a flow when executions of other flows end (or pause), exactly once each.

The executor queues each end and each pause in the transaction that makes it (the store's outbox,
`execution_ends`). This service consumes the outbox one end at a time through `Store.process_next_end`:
in that one transaction it evaluates every live Flow trigger against the ended execution (`states`,
`conditions`, the 2.0 `when`), updates the precondition windows of the triggers it concerns, creates the
executions of those that fire (fire key: the upstream execution id) and deletes the end. A crash before
commit leaves the end queued for the next pass; two schedulers never take the same end.

An execution a Flow trigger created does not fire that same trigger again unless the trigger has
conditions or preconditions to limit it, so a flow listening to every execution does not loop on itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from legato import logfields, secrets_env
from legato.aio import wait_any
from legato.clock import utcnow
from legato.engine import context as expr_context
from legato.engine import events as ev
from legato.engine.start import new_execution
from legato.expressions import Renderer
from legato.flows import DeployedFlows, Flows
from legato.model import conditions as c
from legato.model.execution import Execution, TaskRun
from legato.model.flow import Flow
from legato.model.ids import new_id
from legato.model.state import State
from legato.model.triggers import FlowTrigger
from legato.scheduler import conditions as cond
from legato.scheduler import preconditions as pre
from legato.store.ports import (
    EndTx,
    ExecutionEnd,
    ExecutionEnds,
    FlowReader,
    FlowRecord,
    Notifying,
    TriggerFire,
    TriggerStore,
)

log = logging.getLogger("legato.scheduler.flow")


@dataclass(frozen=True)
class Listener:
    """One enabled Flow trigger of one live flow revision."""

    record: FlowRecord
    flow: Flow
    trigger: FlowTrigger
    plan: pre.Plan | None


class FlowTriggerIndex:
    """The Flow triggers of the deployed flows, rebuilt from the flow list only for revisions it has not seen."""

    def __init__(self, flows: Flows):
        self._flows = DeployedFlows(flows, skipped="its Flow triggers")
        self._by_flow: dict[tuple[str, str, str], tuple[int, bool, tuple[Listener, ...]]] = {}

    def refresh(self, records: list[FlowRecord]) -> list[Listener]:
        """The listeners of `records` (the latest revision of each live flow), in a stable order."""
        seen: dict[tuple[str, str, str], tuple[int, bool, tuple[Listener, ...]]] = {}
        for record in records:
            key = (record.tenant, record.namespace, record.id)
            cached = self._by_flow.get(key)
            if cached is not None and cached[:2] == (record.revision, record.disabled):
                seen[key] = cached
            else:
                seen[key] = (record.revision, record.disabled, self._listeners(record))
        self._by_flow = seen
        return [x for key in sorted(seen) for x in seen[key][2]]

    def _listeners(self, record: FlowRecord) -> tuple[Listener, ...]:
        if record.disabled or record.deleted:
            return ()
        flow = self._flows.get(record)
        if flow is None or flow.disabled:
            return ()
        return tuple(Listener(record, flow, t, pre.plan_of(t)) for t in flow.triggers or ()
                     if isinstance(t, FlowTrigger) and not t.disabled)


def trigger_variables(execution: Execution) -> dict[str, Any]:
    """`trigger.*` of an execution a Flow trigger creates: who ended, how, with which outputs."""
    return {
        "executionId": execution.id, "namespace": execution.namespace, "flowId": execution.flow_id,
        "flowRevision": execution.flow_revision, "state": execution.state.value,
        "outputs": execution.outputs or {}, "labels": {lb.key: lb.value for lb in execution.labels},
        "executionLabels": {lb.key: lb.value for lb in execution.labels},
    }


class _Runs:
    """The upstream execution's task runs as an expression context reads them (context.RunSource)."""

    def __init__(self, task_runs: Callable[[], Sequence[TaskRun]]):
        self._task_runs = task_runs

    def run(self, task_run_id: str) -> TaskRun:
        return next(r for r in self._task_runs() if r.id == task_run_id)

    def outputs_of(self, task_id: str) -> list[TaskRun]:
        return [r for r in self._task_runs() if r.task_id == task_id]

    def task_ids(self) -> list[str]:
        return list(dict.fromkeys(r.task_id for r in self._task_runs()))


def upstream_variables(execution: Execution, task_runs: Callable[[], Sequence[TaskRun]]) -> dict[str, Any]:
    """What else a Flow trigger's conditions, preconditions and inputs see, as in Kestra 1.x which renders them
    in the context of the upstream execution: its `execution`, its tasks' `outputs` (read only when named) and
    its `labels`. (Kestra 2.0's `when` sees the upstream flow outputs as `outputs`: cond.with_upstream.)"""
    runs = _Runs(task_runs)
    return {
        "execution": {"id": execution.id, "state": execution.state.value, "originalId": execution.origin_id or execution.id,
                      "startDate": execution.histories[0].date if execution.histories else execution.created},
        "outputs": expr_context.LazyOutputs(runs, runs.task_ids),
        "labels": expr_context.labels_vars(execution.labels),
    }


class FlowTriggerStore(FlowReader, TriggerStore, ExecutionEnds, Notifying, Protocol):
    """What the Flow triggers use: the outbox of ended executions, trigger state and fires, the deployed flows."""


class FlowTriggers:
    """Consumes ended executions; `tick()` drains the outbox, `run(stopping)` does so on each wake-up."""

    def __init__(self, store: FlowTriggerStore, clock: Callable[[], datetime] = utcnow, *, renderer: Renderer | None = None,
                 flows: Flows, poll_seconds: float = 5.0, batch: int = 500):
        self.store = store
        self.clock = clock
        self.renderer = renderer or Renderer(clock=clock, functions=secrets_env.FUNCTIONS)
        self.index = FlowTriggerIndex(flows)
        self.poll_seconds = poll_seconds
        self.batch = batch

    async def run(self, stopping: asyncio.Event) -> None:
        """Drain the outbox whenever an execution ends (or every `poll_seconds`) until `stopping` is set."""
        while not stopping.is_set():
            while await asyncio.to_thread(self.tick) >= self.batch and not stopping.is_set():
                pass  # more may wait: keep going before sleeping
            await asyncio.to_thread(self.check_deadlines)
            await wait_any(self.store.wakeups.wait("ends", self.poll_seconds), stopping)

    def check_deadlines(self, now: datetime | None = None) -> int:
        """Record the Kestra 2.0 `onMiss` deadlines that passed; how many FAILED executions this created."""
        from legato.scheduler import deadlines  # it builds on this module's listeners

        listeners = [x for x in self.index.refresh(self.store.every_tenant_flows()) if x.trigger.onMiss is not None]
        if not listeners:
            return 0
        return deadlines.missed(self.store, self._enabled(listeners), now or self.clock())

    def _enabled(self, listeners: list[Listener]) -> list[Listener]:
        """The listeners whose trigger no user or Toggle task disabled (in its flow's tenant)."""
        disabled = {(s.tenant, s.namespace, s.flow_id, s.trigger_id) for s in self.store.trigger_states(tenant=None)
                    if s.disabled}
        return [x for x in listeners if (x.record.tenant, x.record.namespace, x.record.id, x.trigger.id) not in disabled]

    def tick(self) -> int:
        """Consume up to `batch` ended executions; how many were consumed."""
        if self.store.pending_ends() == 0:
            return 0
        live = self._enabled(self.index.refresh(self.store.every_tenant_flows()))
        if not any(State.RUNNING in x.trigger.observed_states() for x in live):
            self.store.discard_ends(State.RUNNING)  # each start is queued; dropped at once while none listens
        done = 0
        while done < self.batch and self._consume_one(live):
            done += 1
        return done

    def _consume_one(self, listeners: list[Listener]) -> bool:
        now = self.clock()
        return self.store.process_next_end(lambda tx, end: self._on_end(tx, end, listeners, now), now)

    def _on_end(self, tx: EndTx, end: ExecutionEnd, listeners: list[Listener], now: datetime) -> None:
        current = tx.execution()
        if current is None:
            return  # deleted since
        # As it was at that transition: it may have resumed or been restarted since.
        execution = current if current.state == end.state else current.model_copy(update={"state": end.state})
        variables = trigger_variables(execution)
        runs: list[TaskRun] | None = None

        def task_runs() -> list[TaskRun]:
            nonlocal runs
            if runs is None:
                runs = tx.task_runs()
            return runs

        upstream = upstream_variables(execution, task_runs)
        for listener in listeners:
            record = listener.record
            if record.tenant != execution.tenant:
                continue  # a Flow trigger listens to the executions of its own tenant only
            context = {**upstream, "trigger": variables,
                       "flow": {"id": record.id, "namespace": record.namespace, "revision": record.revision,
                                "tenantId": record.tenant}}
            ctx = cond.ConditionContext(variables=context, renderer=self.renderer, execution=execution,
                                        task_runs=task_runs)
            try:
                matched = _matching(execution, listener, ctx)
            except Exception as exc:  # one trigger that cannot be evaluated must not hold up the others
                _skipped(listener, end, exc)
                continue
            if matched is None:
                continue
            if listener.plan is not None:
                met = self._preconditions_met(tx, listener, execution, matched, end)
                if met is None:
                    continue
                if listener.plan.scoped_outputs:
                    context = {**context, "trigger": {**variables, "outputs": _scoped_outputs(listener, met, execution)}}
            self._fire(tx, end, listener, context, now)

    def _preconditions_met(self, tx: EndTx, listener: Listener, execution: Execution, matched: list[str],
                           end: ExecutionEnd) -> dict[str, Any] | None:
        """What met the trigger's preconditions when this end makes it fire (by item), else None."""
        plan = listener.plan
        assert plan is not None
        if not matched:
            return None
        met_by: dict[str, Any] = {"executionId": execution.id, "namespace": execution.namespace, "flowId": execution.flow_id,
                  "state": execution.state.value}
        if plan.scoped_outputs:
            met_by["outputs"] = execution.outputs or {}
        if not plan.every and not plan.fire_once:
            return {item: met_by for item in matched}  # ANY: one matching end is enough, nothing to remember
        key, tenant = (listener.record.namespace, listener.record.id, listener.trigger.id), listener.record.tenant
        state = tx.lock_precondition(*key, tenant=tenant)
        outcome = pre.advance(plan, state, matched, met_by, end.ended)
        if outcome.changed:
            tx.save_precondition(*key, outcome.state, tenant=tenant)
        return dict(outcome.met or {}) if outcome.fire else None

    def _fire(self, tx: EndTx, end: ExecutionEnd, listener: Listener, context: dict[str, Any], now: datetime) -> None:
        record, trigger = listener.record, listener.trigger
        try:
            inputs = {k: self.renderer.render_typed(v, context) if isinstance(v, str) else v
                      for k, v in (trigger.inputs or {}).items()}
            execution = new_execution(
                listener.flow, record.revision, inputs, execution_id=new_id(), now=now, renderer=self.renderer,
                labels={lb.key: lb.value for lb in trigger.labels}, trigger={"id": trigger.id, **context["trigger"]},
                tenant=record.tenant,
            )
        except Exception as exc:  # bad inputs (InputsError) or a template that fails: as Kestra 1.x, no execution
            _skipped(listener, end, exc)
            return
        fire = TriggerFire(namespace=record.namespace, flow_id=record.id, trigger_id=trigger.id, key=end.key, date=now,
                           tenant=record.tenant)
        if tx.fire(fire, execution, ev.ExecutionCreated()) == "fired":
            log.info("Flow trigger %s of flow %s.%s fired by execution %s (%s): execution %s", trigger.id,
                     record.namespace, record.id, end.execution_id, end.state.value, execution.id,
                     extra=logfields.lifecycle("trigger-fired", execution_id=execution.id))


def _matching(execution: Execution, listener: Listener, ctx: cond.ConditionContext) -> list[str] | None:
    """None when the ended execution does not concern the trigger; else the precondition items it meets."""
    trigger, record = listener.trigger, listener.record
    if execution.state not in trigger.observed_states():
        return None
    if _created_by(execution, record, trigger) and not _limited(trigger, listener.plan):
        return None  # would fire itself again and again
    plain = [x for x in trigger.conditions or () if not isinstance(x, c.MultipleCondition)]
    if not cond.all_hold(plain, ctx) or not cond.when_holds(trigger.when, cond.with_upstream(ctx, trigger.when)):
        return None
    if listener.plan is None:
        return []
    return [item.id for item in listener.plan.items if item.matches(execution, ctx)]


def _scoped_outputs(listener: Listener, met: dict[str, Any], execution: Execution) -> dict[str, Any]:
    """Kestra 2.0's `trigger.outputs`: each upstream flow's outputs under its flow id; with a single dependsOn
    entry, its outputs also directly (the unscoped 1.x form)."""
    scoped: dict[str, Any] = {}
    for entry in sorted(met.values(), key=lambda m: str(m.get("at", ""))):
        if isinstance(entry, dict) and entry.get("flowId"):
            scoped[str(entry["flowId"])] = entry.get("outputs") or {}
    scoped.setdefault(execution.flow_id, execution.outputs or {})
    if len(listener.trigger.dependsOn or ()) == 1:
        return {**(execution.outputs or {}), **scoped}
    return scoped


def _skipped(listener: Listener, end: ExecutionEnd, exc: Exception) -> None:
    log.error("Flow trigger %s of flow %s.%s: execution %s ignored: %s", listener.trigger.id,
              listener.record.namespace, listener.record.id, end.execution_id, exc,
              extra=logfields.lifecycle("trigger-skipped", execution_id=end.execution_id))


def _created_by(execution: Execution, record: FlowRecord, trigger: FlowTrigger) -> bool:
    """Whether `execution` is one this very trigger created."""
    origin = execution.trigger or {}
    return (execution.namespace, execution.flow_id) == (record.namespace, record.id) and origin.get("id") == trigger.id


def _limited(trigger: FlowTrigger, plan: pre.Plan | None) -> bool:
    return bool(trigger.conditions) or plan is not None or trigger.when is not None

