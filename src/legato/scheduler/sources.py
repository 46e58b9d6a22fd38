"""The trigger-source runner: runs the polling and realtime triggers of deployed flows (see
legato.plugins.triggers.base for the contract with sources). It runs beside the worker, in every process with
the worker role, and takes the triggers of the worker groups it serves (`workerGroup.key`; none: no group).

Every `refresh_seconds` it reads the live, enabled flows of every tenant and their enabled polling/realtime triggers. Each
such trigger runs in exactly one live process: the runner leases it (Store.claim_trigger_lease, database
clock), renews all its leases each refresh and stops a source whose lease it lost; a process that dies
stops renewing and another takes its triggers over once the leases expire (`lease_seconds`). A deployed,
changed, disabled or deleted flow is picked up at the next refresh.

- polling: every `interval`, unless the trigger's last execution still runs (no overlap), `poll()` is
  called; a Poll becomes one execution with its cursor saved in the same transaction, then `commit()`.
- realtime: one long-lived task consumes `messages()`; each Message becomes one execution (cursor saved in
  the same transaction), then `ack()`. When the source raises, it restarts after an exponential back-off
  (`min_backoff` doubling up to `max_backoff`), logged.

Stopping (the flow or trigger went away, the lease was lost, the process stops) lets the message or poll in
hand finish its fire and ack/commit, then cancels the source.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from legato import secrets_env
from legato.aio import wait_any
from legato.clock import utcnow
from legato.expressions import Renderer
from legato.flows import DeployedFlows, Flows
from legato.model import state as st
from legato.model.flow import Flow
from legato.model.ids import new_id
from legato.model.task import worker_keys
from legato.model.triggers import Trigger
from legato.plugins.triggers import base
from legato.scheduler.failures import describe
from legato.scheduler.source_fire import SourceFirer, SourceTarget
from legato.scheduler.source_tasks import SourceTask
from legato.storage import Storage, default_storage
from legato.store import functions as store_functions
from legato.store.ports import (
    ExecutionReader,
    FlowReader,
    FlowRecord,
    Governance,
    KVStore,
    LogStore,
    TriggerKey,
    TriggerLeases,
    TriggerState,
    TriggerStore,
)

log = logging.getLogger("legato.scheduler.sources")

Key = TriggerKey  # (tenant, namespace, flow id, trigger id)


class SourceStore(FlowReader, ExecutionReader, LogStore, KVStore, TriggerStore, TriggerLeases, Governance, Protocol):
    """What the source runner uses: leases, trigger state and fires, the deployed flows, executions (to see
    whether a trigger's last one ended) and the expression functions' reads."""


class SourceRunner:
    """Runs every polling/realtime trigger this process holds the lease of; `run(stopping)` until told to stop."""

    def __init__(self, store: SourceStore, clock: Callable[[], datetime] = utcnow, *, storage: Storage | None = None,
                 renderer: Renderer | None = None, flows: Flows | None = None, owner: str | None = None,
                 refresh_seconds: float = 1.0, lease_seconds: float = 30.0, min_backoff: float = 1.0,
                 max_backoff: float = 60.0, functions: Mapping[str, Callable[..., Any]] | None = None,
                 drain_seconds: float = 10.0, groups: tuple[str | None, ...] = (None,)):
        self.store = store
        self.clock = clock
        self.renderer = renderer or Renderer(clock=clock, functions=secrets_env.FUNCTIONS)
        self.flows = flows or Flows()
        self.deployed = DeployedFlows(self.flows, skipped="its trigger sources")
        self.owner = owner or f"{socket.gethostname()}:sources:{new_id()[:12]}"
        self.refresh_seconds = refresh_seconds
        self.lease_seconds = lease_seconds
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.drain_seconds = drain_seconds
        self.groups = frozenset(groups)
        self.functions = dict(functions or {})
        self.firer = SourceFirer(store, storage if storage is not None else default_storage(), self.renderer, clock)
        self.tasks: dict[Key, SourceTask] = {}
        self._unstartable: dict[Key, Any] = {}  # trigger models whose source() failed: not retried until changed

    async def run(self, stopping: asyncio.Event) -> None:
        """Refresh every `refresh_seconds` until `stopping`; then stop every source and release its leases."""
        try:
            while not stopping.is_set():
                try:
                    await self.refresh()
                except Exception:
                    log.exception("refreshing the trigger sources failed; retrying")
                await wait_any(asyncio.sleep(self.refresh_seconds), stopping)
        finally:
            await self.stop_all()

    async def refresh(self) -> None:
        """Start, restart and stop sources to match the deployed flows and the leases this process holds."""
        held: set[Key] = set()
        if self.tasks:
            held = await asyncio.to_thread(self.store.renew_trigger_leases, self.owner, self.lease_seconds)
        wanted, states = await asyncio.to_thread(self._wanted)
        for key, task in list(self.tasks.items()):
            target = wanted.get(key)
            reason = ("its lease moved to another process" if key not in held else "it was removed or disabled"
                      if target is None else "its flow changed" if target.trigger != task.target.trigger else None)
            if reason is None and task.done():
                reason = "its task ended"
            if reason is not None:
                log.info("stopping %s: %s", task.target.label(), reason)
                await self._stop(key, release=key in held)
            else:
                task.target = target or task.target  # a new revision with the same trigger keeps running
        orphans = [k for k in held if k not in self.tasks]  # held without a running source: give back
        if orphans:
            await asyncio.to_thread(self.store.release_trigger_leases, self.owner, orphans)
        now = self.clock()
        for key, target in wanted.items():
            if key not in self.tasks and not _held_elsewhere(states.get(key), self.owner, now):
                await self._start(key, target)

    async def stop_all(self) -> None:
        """Stop every source (in-flight fires finish first) and give the leases back."""
        keys = list(self.tasks)
        await asyncio.gather(*(self.tasks[k].stop(self.drain_seconds) for k in keys), return_exceptions=True)
        self.tasks.clear()
        try:
            await asyncio.to_thread(self.store.release_trigger_leases, self.owner, keys)
        except Exception:
            log.exception("releasing the trigger leases of %s failed (they expire on their own)", self.owner)

    async def _start(self, key: Key, target: SourceTarget) -> None:
        if self._unstartable.get(key) == target.trigger:
            return
        tenant, namespace, flow_id, trigger_id = key
        lease = await asyncio.to_thread(self.store.claim_trigger_lease, namespace, flow_id, trigger_id, self.owner,
                                        self.lease_seconds, tenant=tenant)
        if lease is None:
            return  # another live process runs it
        try:
            source = target.trigger.source()  # type: ignore[attr-defined]
        except Exception as exc:
            await asyncio.to_thread(self.firer.fail, target, f"cannot start (retried once the flow changes): {describe(exc)}",
                                    owner=self.owner)
            self._unstartable[key] = target.trigger
            await asyncio.to_thread(self.store.release_trigger_leases, self.owner, [key])
            return
        task = SourceTask(self, target, source, dict(lease.source_state))
        self.tasks[key] = task
        task.start()
        log.info("started %s (%s)", target.label(), base.trigger_kind(target.trigger))

    async def _stop(self, key: Key, *, release: bool) -> None:
        task = self.tasks.pop(key)
        await task.stop(self.drain_seconds)
        if release:
            await asyncio.to_thread(self.store.release_trigger_leases, self.owner, [key])

    def _wanted(self) -> tuple[dict[Key, SourceTarget], dict[Key, TriggerState]]:
        """Every enabled polling/realtime trigger of every live, enabled flow in this runner's worker groups, and
        the stored trigger states (blocking)."""
        states = {(s.tenant, s.namespace, s.flow_id, s.trigger_id): s for s in self.store.trigger_states(tenant=None)}
        wanted: dict[Key, SourceTarget] = {}
        for record in self.store.every_tenant_flows():
            flow = self._flow(record)
            if flow is None or record.disabled or flow.disabled:
                continue
            for trigger in flow.triggers or ():
                if trigger.disabled or base.trigger_kind(trigger) is None:
                    continue
                if _routing_key(trigger) not in worker_keys(tuple(self.groups)):
                    continue  # the workers of its group run it
                key = (record.tenant, record.namespace, record.id, trigger.id)
                state = states.get(key)
                if state is not None and state.disabled:
                    continue
                wanted[key] = SourceTarget(record, flow, trigger)
        return wanted, states

    def _flow(self, record: FlowRecord) -> Flow | None:
        return self.deployed.get(record)

    def functions_for(self, target: SourceTarget) -> dict[str, Callable[..., Any]]:
        """Expression functions a source's properties may call (`kv`, plus those given to the runner)."""
        bound = store_functions.bind(self.store, target.record.namespace, "", self.clock, tenant=target.tenant)
        return {"kv": bound["kv"], **self.functions}

    def still_running(self, state: TriggerState | None) -> bool:
        """Whether the execution the trigger last created has not ended yet (blocking)."""
        if state is None or not state.locked_execution_id:
            return False
        execution = self.store.get_execution(state.locked_execution_id)
        return execution is not None and execution.state not in st.TERMINAL


def _held_elsewhere(state: TriggerState | None, owner: str, now: datetime) -> bool:
    """Whether another process's lease on the trigger looks alive (a cheap read that spares a claim that
    would fail; the claim itself decides, by the database's clock)."""
    if state is None or state.lease_owner in (None, owner) or state.lease_expires_at is None:
        return False
    return state.lease_expires_at > now


def _routing_key(trigger: Trigger) -> str | None:
    """The worker key of a trigger: its 1.x workerGroup, or its 2.0 workerSelector's tags."""
    if trigger.workerGroup is not None:
        return trigger.workerGroup.key
    return trigger.workerSelector.key() if trigger.workerSelector is not None else None
