"""The scheduler: fires the Schedule and ScheduleOnDates triggers of deployed flows, exactly once each date,
however many scheduler processes share the store.

Each tick, for every enabled trigger of every live, enabled flow of every tenant, the dates due since the trigger's last
date (or since its flow revision was saved, for a trigger never fired) are split into on-time dates (at
most `grace` old) and missed ones (older: the scheduler was down, the trigger locked or disabled).
`recoverMissedSchedules` keeps ALL missed dates (the default, as in Kestra), the LAST one or NONE;
`lateMaximumDelay` then drops any date older than it. Each kept date whose conditions hold becomes one
execution through `Store.fire_trigger`, which records the unique fire key in the same transaction: a
second scheduler firing the same date writes nothing. Without `allowConcurrent` a trigger fires only once
its previous execution ended; the dates due meanwhile count as missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from legato import logfields, secrets_env
from legato.aio import supervise, wait_any
from legato.clock import utcnow
from legato.engine import events as ev
from legato.engine.start import new_execution
from legato.expressions import ExpressionError, Renderer
from legato.flows import DeployedFlows, Flows
from legato.model import state as st
from legato.model.errors import InputsError
from legato.model.flow import Flow
from legato.model.ids import new_id
from legato.model.triggers import Schedule, ScheduleOnDates
from legato.scheduler import conditions as cond
from legato.scheduler.backfills import Backfills
from legato.scheduler.cron import Cron
from legato.scheduler.failures import describe, trigger_failed
from legato.scheduler.flow_triggers import FlowTriggers
from legato.store.ports import (
    BackfillState,
    BackfillStore,
    ExecutionEnds,
    ExecutionReader,
    FlowReader,
    FlowRecord,
    Notifying,
    TriggerFire,
    TriggerState,
    TriggerStore,
)
from legato.telemetry import metrics

log = logging.getLogger("legato.scheduler")

ScheduleTrigger = Schedule | ScheduleOnDates


@dataclass(frozen=True)
class _Dates:
    """The fire dates of one trigger: a cron or a fixed list."""

    zone: ZoneInfo
    cron: Cron | None
    dates: tuple[datetime, ...] = ()

    @classmethod
    def of(cls, trigger: ScheduleTrigger) -> _Dates:
        if isinstance(trigger, Schedule):
            cron = Cron(trigger.cron_spec(), ZoneInfo(trigger.timezone))
            return cls(cron.zone, cron)
        zone = ZoneInfo(trigger.timezone)
        dates = sorted({(d if d.tzinfo else d.replace(tzinfo=zone)).astimezone(UTC) for d in trigger.dates})
        return cls(zone, None, tuple(dates))

    def next_after(self, moment: datetime) -> datetime | None:
        if self.cron is not None:
            return self.cron.next_after(moment)
        return next((d for d in self.dates if d > moment), None)

    def previous_before(self, moment: datetime) -> datetime | None:
        if self.cron is not None:
            return self.cron.previous_before(moment)
        return next((d for d in reversed(self.dates) if d < moment), None)

    def due(self, after: datetime, until: datetime, limit: int) -> list[datetime]:
        """Dates in (after, until], ascending: the newest `limit` of them."""
        out: list[datetime] = []
        moment = until + timedelta(microseconds=1)
        while len(out) < limit:
            date = self.previous_before(moment)
            if date is None or date <= after:
                break
            out.append(date)
            moment = date
        return out[::-1]


class SchedulerStore(FlowReader, ExecutionReader, TriggerStore, BackfillStore, ExecutionEnds, Notifying, Protocol):
    """What the scheduler uses: trigger state, fires and backfills, the Flow triggers' outbox, the deployed flows
    and the executions its triggers wait for."""


class Scheduler:
    """Fires schedule triggers; `tick(now)` does one pass, `run(stopping)` loops until told to stop."""

    def __init__(self, store: SchedulerStore, clock: Callable[[], datetime] = utcnow, *, renderer: Renderer | None = None,
                 flows: Flows | None = None, poll_seconds: float = 1.0, grace: timedelta = timedelta(seconds=60),
                 max_catch_up: int = 1000, prune_after: timedelta = timedelta(days=7)):
        self.store = store
        self.clock = clock
        self.renderer = renderer or Renderer(clock=clock, functions=secrets_env.FUNCTIONS)
        self.flows = flows or Flows()
        self.deployed = DeployedFlows(self.flows)
        self.poll_seconds = poll_seconds
        self.grace = grace
        self.max_catch_up = max_catch_up
        self.prune_after = prune_after
        self._dates: dict[tuple[str, str, str, int, str], _Dates] = {}
        self._pruned: datetime | None = None
        self.last_fired: str | None = None  # the execution the last fire created
        self._soonest: datetime | None = None  # the earliest date due after the last tick
        self.backfills = Backfills(self)
        # Flow triggers run beside the schedules, woken by each execution's end rather than by the clock.
        self.flow_triggers = FlowTriggers(store, clock, renderer=self.renderer, flows=self.flows)

    async def run(self, stopping: asyncio.Event) -> None:
        """Tick every `poll_seconds` until `stopping` is set (the Flow triggers in a side task)."""
        side = asyncio.create_task(supervise("flow-triggers", self.flow_triggers.run, stopping), name="flow-triggers")
        try:
            await self._run_schedules(stopping)
        finally:
            side.cancel()
            await asyncio.gather(side, return_exceptions=True)

    async def _run_schedules(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            await asyncio.to_thread(self.tick)
            await wait_any(asyncio.sleep(self._pause()), stopping)

    def _pause(self) -> float:
        """Seconds to the next tick: `poll_seconds`, or less when a date falls due sooner (so a schedule fires
        within milliseconds of its date rather than up to a poll interval late)."""
        if self._soonest is None:
            return self.poll_seconds
        wait = (self._soonest - self.clock()).total_seconds() + 0.001
        return min(self.poll_seconds, max(0.0, wait))

    def _note(self, date: datetime | None) -> None:
        if date is not None and (self._soonest is None or date < self._soonest):
            self._soonest = date

    def tick(self, now: datetime | None = None) -> int:
        """Fire every date due at `now` (default: the clock); how many executions were created."""
        now = now or self.clock()
        self._soonest = None
        states = {(s.tenant, s.namespace, s.flow_id, s.trigger_id): s for s in self.store.trigger_states(tenant=None)}
        fired = 0
        for record in self.store.every_tenant_flows():
            flow = self._flow(record)
            if flow is None or record.disabled or flow.disabled:
                continue
            for trigger in flow.triggers or ():
                if not isinstance(trigger, Schedule | ScheduleOnDates) or trigger.disabled:
                    continue
                state = states.get((record.tenant, record.namespace, record.id, trigger.id))
                if state is not None and state.disabled:
                    continue
                try:
                    fired += self._trigger(record, flow, trigger, state, now)
                except Exception:
                    log.exception("trigger %s of flow %s.%s (tenant %s) failed", trigger.id, record.namespace, record.id,
                                  record.tenant)
        fired += self.backfills.tick(now)
        self._prune(now)
        return fired

    def _flow(self, record: FlowRecord) -> Flow | None:
        return self.deployed.get(record)

    def _dates_of(self, record: FlowRecord, trigger: ScheduleTrigger) -> _Dates:
        key = (record.tenant, record.namespace, record.id, record.revision, trigger.id)
        dates = self._dates.get(key)
        if dates is None:
            dates = self._dates[key] = _Dates.of(trigger)
        return dates

    def _trigger(self, record: FlowRecord, flow: Flow, trigger: ScheduleTrigger, state: TriggerState | None,
                 now: datetime) -> int:
        # Fast path: the stored next date was computed for this revision and is not due yet.
        if state is not None and state.next_date is not None and state.updated >= record.updated and state.next_date > now:
            self._note(state.next_date)
            return 0
        dates = self._dates_of(record, trigger)
        self._note(dates.next_after(now))
        if state is not None and state.locked_execution_id and not getattr(trigger, "allowConcurrent", False):
            running = self.store.get_execution(state.locked_execution_id)
            if running is not None and running.state not in st.TERMINAL:
                return 0
        if self._stop_after(record, trigger, state, now):
            return 0
        cursor = state.last_date if state is not None and state.last_date is not None else record.updated
        due = dates.due(cursor, now, self.max_catch_up)
        if not due:
            if state is None or state.next_date is None or state.updated < record.updated:
                self.store.advance_trigger(record.namespace, record.id, trigger.id, None, dates.next_after(now), now,
                                           tenant=record.tenant)
            return 0
        return self._fire_dates(record, flow, trigger, dates, self._kept(trigger, due, now), due[-1], now)

    def _kept(self, trigger: ScheduleTrigger, due: list[datetime], now: datetime) -> list[datetime]:
        """The due dates the missed-schedule policy and lateMaximumDelay keep."""
        on_time = [d for d in due if now - d <= self.grace]
        missed = due[: len(due) - len(on_time)]
        policy = trigger.recoverMissedSchedules or "ALL"
        kept = missed + on_time if policy == "ALL" else missed[-1:] + on_time if policy == "LAST" else on_time
        late = getattr(trigger, "lateMaximumDelay", None)
        return [d for d in kept if late is None or now - d <= late]

    def _fire_dates(self, record: FlowRecord, flow: Flow, trigger: ScheduleTrigger, dates: _Dates,
                    kept: list[datetime], last_due: datetime, now: datetime) -> int:
        exclusive = not getattr(trigger, "allowConcurrent", False)
        fired = 0
        handled: datetime | None = None  # the last date fired by this call, or by another scheduler
        for date in kept:
            outcome = self._fire(record, flow, trigger, dates, date, exclusive, now)
            metrics.SCHEDULER_FIRES.labels(outcome).inc()
            metrics.SCHEDULER_LAG.set(max((now - date).total_seconds(), 0.0))
            if outcome == "locked":
                return fired  # dates from here on wait for the running execution
            fired += outcome == "fired"
            handled = date if outcome in ("fired", "duplicate") else handled
            if exclusive and outcome == "fired":
                break  # the new execution now holds the trigger
        else:
            if handled != last_due:  # the newest due dates were skipped: move past them
                self.store.advance_trigger(record.namespace, record.id, trigger.id, last_due,
                                           dates.next_after(last_due), now, tenant=record.tenant)
        return fired

    def _fire(self, record: FlowRecord, flow: Flow, trigger: ScheduleTrigger, dates: _Dates, date: datetime,
              exclusive: bool, now: datetime, backfill: BackfillState | None = None) -> str:
        """Fire one date: 'fired', 'duplicate', 'locked' or 'skipped' (conditions false, bad inputs). A backfill's
        date gets the backfill's inputs and labels (plus `backfill: true`) and leaves the trigger's state alone."""
        zone = dates.zone
        nxt, previous = dates.next_after(date), dates.previous_before(date)
        variables = {
            "date": date.astimezone(zone).isoformat(),
            "next": nxt.astimezone(zone).isoformat() if nxt else None,
            "previous": previous.astimezone(zone).isoformat() if previous else None,
        }
        context = {"trigger": variables, "flow": {"id": flow.id, "namespace": flow.namespace, "revision": record.revision,
                                                  "tenantId": record.tenant}}
        ctx = cond.ConditionContext(variables=context, renderer=self.renderer, date=date.astimezone(zone), zone=zone)
        fire = TriggerFire(namespace=record.namespace, flow_id=record.id, trigger_id=trigger.id, key=date.isoformat(),
                           date=date, next_date=nxt, exclusive=exclusive, backfill=backfill is not None,
                           tenant=record.tenant)
        try:
            if not self._conditions_hold(trigger, ctx):
                return "skipped"
            inputs, labels = self._inputs(trigger, context), {lb.key: lb.value for lb in trigger.labels}
            if backfill is not None:
                inputs, labels = inputs | (backfill.inputs or {}), labels | backfill.labels | {"backfill": "true"}
            execution = new_execution(
                flow, record.revision, inputs, execution_id=new_id(), now=now,
                renderer=self.renderer, labels=labels, trigger=variables, tenant=record.tenant,
            )
        except (cond.ConditionError, InputsError, ExpressionError, ValueError) as exc:
            failed = trigger_failed(self.store, record, flow, trigger, f"date {variables['date']}: {describe(exc)}",
                                    now, fire, variables)
            self.last_fired = failed
            return "fired" if failed else "skipped"
        outcome = self.store.fire_trigger(fire, execution, ev.ExecutionCreated(), now)
        self.last_fired = execution.id if outcome == "fired" else None
        if outcome == "fired":
            log.info("trigger %s of flow %s.%s fired for %s: execution %s", trigger.id, record.namespace,
                     record.id, variables["date"], execution.id,
                     extra=logfields.lifecycle("trigger-fired", execution_id=execution.id))
        return outcome

    def _conditions_hold(self, trigger: ScheduleTrigger, ctx: cond.ConditionContext) -> bool:
        """Whether the trigger's conditions and `when` hold; raises ConditionError when one cannot be evaluated."""
        if not cond.all_hold(trigger.conditions, ctx):
            return False
        if isinstance(trigger, Schedule):
            return cond.all_hold(trigger.scheduleConditions, ctx) and cond.when_holds(trigger.when, ctx)
        return True

    def _inputs(self, trigger: ScheduleTrigger, context: dict[str, Any]) -> dict[str, Any]:
        """The trigger's inputs, text rendered with the trigger's variables (e.g. `{{ trigger.date }}`)."""
        return {k: self.renderer.render_typed(v, context) if isinstance(v, str) else v
                for k, v in (trigger.inputs or {}).items()}

    def _stop_after(self, record: FlowRecord, trigger: ScheduleTrigger, state: TriggerState | None, now: datetime) -> bool:
        """Disable the trigger once the execution it last created ended in one of its stopAfter states (True)."""
        if not trigger.stopAfter or state is None or not state.locked_execution_id:
            return False
        last = self.store.get_execution(state.locked_execution_id)
        if last is not None and last.state in trigger.stopAfter:
            self.store.set_trigger_disabled(record.namespace, record.id, trigger.id, True, now, tenant=record.tenant)
            log.info("trigger %s of flow %s.%s disabled: execution %s ended %s (stopAfter)", trigger.id,
                     record.namespace, record.id, last.id, last.state,
                     extra=logfields.lifecycle("trigger-disabled", execution_id=last.id))
            return True
        return False

    def _prune(self, now: datetime) -> None:
        """Once an hour, forget fire keys older than `prune_after` (dates that far back never fire again)."""
        if self._pruned is not None and now - self._pruned < timedelta(hours=1):
            return
        self._pruned = now
        self.store.prune_trigger_fires(now - self.prune_after)


