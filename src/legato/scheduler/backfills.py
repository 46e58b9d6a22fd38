"""Backfills: replaying the past dates of a Schedule trigger between a start and an end date.

A backfill is stored per trigger (at most one, as in Kestra) and advanced by every scheduler tick: the
dates of the trigger's cron after the backfill's cursor, up to its end (never past now), fire oldest first
through the scheduler's own fire path, so each date becomes exactly one execution however many schedulers
run: the fire key is the date, shared with normal fires, and a date the schedule already fired (within the
fire keys' retention, 7 days by default) is not fired again. Its executions carry the backfill's labels plus
`backfill: true`, and its inputs over the trigger's. Without `allowConcurrent` one execution of the trigger runs
at a time: each backfill execution holds the trigger as a scheduled one does (however many schedulers race for
the next date, it waits for that execution's end); with it, up to `batch` dates fire per tick.
Conditions apply as for normal fires. A paused backfill, or one of a disabled flow or trigger, waits; one
whose flow or trigger is gone is dropped; a finished one is deleted.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from legato.model import state as st
from legato.model.triggers import Schedule
from legato.store.ports import BackfillState

if TYPE_CHECKING:
    from legato.scheduler.service import Scheduler

log = logging.getLogger("legato.scheduler.backfills")


class Backfills:
    """Advances the stored backfills on each scheduler tick."""

    def __init__(self, scheduler: Scheduler, *, batch: int = 100):
        self.scheduler = scheduler
        self.batch = batch

    def tick(self, now: datetime) -> int:
        """Fire the backfill dates due now; how many executions were created."""
        fired = 0
        for backfill in self.scheduler.store.backfills(tenant=None):
            if backfill.paused:
                continue
            try:
                fired += self._advance(backfill, now)
            except Exception:
                log.exception("backfill of trigger %s of flow %s.%s failed", backfill.trigger_id,
                              backfill.namespace, backfill.flow_id)
        return fired

    def _advance(self, backfill: BackfillState, now: datetime) -> int:
        store, key, tenant = self.scheduler.store, (backfill.namespace, backfill.flow_id, backfill.trigger_id), backfill.tenant
        record = store.get_flow(backfill.namespace, backfill.flow_id, tenant=tenant)
        flow = self.scheduler._flow(record) if record is not None and not record.deleted else None
        trigger = next((t for t in (flow.triggers or ()) if t.id == backfill.trigger_id), None) if flow else None
        if record is None or flow is None or not isinstance(trigger, Schedule):
            log.warning("backfill of %s.%s.%s dropped: the flow or its Schedule trigger is gone", *key)
            store.delete_backfill(*key, tenant=tenant)
            return 0
        state = store.get_trigger_state(*key, tenant=tenant)
        if record.disabled or flow.disabled or trigger.disabled or (state is not None and state.disabled):
            return 0
        exclusive = not trigger.allowConcurrent
        if exclusive and backfill.execution_id:
            last = store.get_execution(backfill.execution_id)
            if last is not None and last.state not in st.TERMINAL:
                return 0
        dates = self.scheduler._dates_of(record, trigger)
        until = min(backfill.end, now)
        cursor, fired, last_id = backfill.cursor, 0, None
        # Dates skipped (conditions false, fired before) cost little but are bounded too, to keep a tick short.
        for _ in range(self.batch * 10):
            if fired >= (1 if exclusive else self.batch):
                break
            date = dates.next_after(cursor)
            if date is None or date > until:
                break
            outcome = self.scheduler._fire(record, flow, trigger, dates, date, exclusive, now, backfill=backfill)
            if outcome == "locked":
                break  # an execution of the trigger runs (this backfill's, fired by another scheduler, or a normal one)
            cursor = date
            if outcome == "fired":
                fired, last_id = fired + 1, self.scheduler.last_fired
        if cursor != backfill.cursor:
            store.advance_backfill(*key, cursor, last_id, fired, now, tenant=tenant)
        following = dates.next_after(cursor)
        if following is None or following > backfill.end:
            store.delete_backfill(*key, tenant=tenant)
            log.info("backfill of %s.%s.%s finished: %d executions", *key, backfill.fired + fired)
        return fired
