"""The trigger aggregate: trigger state and fires (TriggerStore), source leases (TriggerLeases), backfills
(BackfillStore), and the ended executions queued for Flow triggers with their precondition windows
(ExecutionEnds, consumed in an EndTx)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from legato.engine.events import Event
from legato.model.execution import Execution, TaskRun
from legato.model.state import State
from legato.store.ports.tenants import MAIN


@dataclass(frozen=True)
class TriggerState:
    """What the store remembers of one trigger of a flow; a trigger without a row is enabled and idle."""

    namespace: str
    flow_id: str
    trigger_id: str
    disabled: bool
    next_date: datetime | None
    last_date: datetime | None
    locked_execution_id: str | None  # the execution the trigger waits for before it fires again
    updated: datetime
    # Polling/realtime sources: the process running the source until its lease expires, and its cursor.
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    source_state: dict[str, Any] | None = None
    # The latest failure to evaluate the trigger and when it happened; None once it worked again.
    error: str | None = None
    error_date: datetime | None = None
    tenant: str = MAIN

    @property
    def enabled(self) -> bool:
        return not self.disabled


@dataclass(frozen=True)
class BackfillState:
    """A backfill of a Schedule trigger: its dates in [start, end] fire one by one, oldest first."""

    namespace: str
    flow_id: str
    trigger_id: str
    start: datetime
    end: datetime
    cursor: datetime  # the last date handled (start - 1 µs before the first)
    paused: bool
    inputs: dict[str, Any] | None
    labels: dict[str, str]
    fired: int  # executions created so far
    execution_id: str | None  # the last one; without allowConcurrent the next date waits for its end
    created: datetime
    updated: datetime
    tenant: str = MAIN


@dataclass(frozen=True)
class TriggerFire:
    """One firing of a trigger, unique by (tenant, namespace, flow_id, trigger_id, key)."""

    namespace: str
    flow_id: str
    trigger_id: str
    key: str  # the scheduled date (ISO, UTC) of a Schedule, the upstream execution id of a Flow trigger
    date: datetime | None = None  # becomes the trigger's last date (never moved backwards)
    next_date: datetime | None = None
    exclusive: bool = False  # refuse while the execution the trigger last created is still active
    state: dict[str, Any] | None = None  # a source's new cursor, saved with the execution (None: unchanged)
    lease_owner: str | None = None  # fencing: fire only while this process still holds the trigger's lease
    backfill: bool = False  # a backfill's date: the trigger's dates and lock stay as they are
    error: str | None = None  # the evaluation failure whose FAILED execution this is (failOnTriggerError)
    tenant: str = MAIN


# fired: execution created; duplicate: this key fired before; locked: the trigger's execution still runs;
# fenced: the trigger's lease belongs to another process now
FireOutcome = Literal["fired", "duplicate", "locked", "fenced"]


@dataclass(frozen=True)
class ExecutionEnd:
    """An execution that ended, queued for the Flow triggers (written with the end, consumed once)."""

    id: int
    key: str  # the fire key of what it triggers: the execution id (plus its restart count once restarted)
    execution_id: str
    namespace: str
    flow_id: str
    state: State
    ended: datetime


@dataclass(frozen=True)
class PreconditionState:
    """A Flow trigger's current precondition window and what was met in it (by precondition id)."""

    window_start: datetime | None = None
    window_end: datetime | None = None
    met: dict[str, Any] = field(default_factory=dict)


class EndTx(Protocol):
    """The scheduler's transaction around one ended execution: the end is consumed when it commits."""

    def execution(self) -> Execution | None:
        """The ended execution (None when it was deleted since)."""
        ...

    def task_runs(self) -> list[TaskRun]: ...

    def lock_precondition(self, namespace: str, flow_id: str, trigger_id: str, *,
                          tenant: str = MAIN) -> PreconditionState:
        """The trigger's precondition state (empty when new), locked until commit."""
        ...

    def save_precondition(self, namespace: str, flow_id: str, trigger_id: str, state: PreconditionState, *,
                          tenant: str = MAIN) -> None: ...

    def fire(self, fire: TriggerFire, execution: Execution, event: Event) -> FireOutcome:
        """Store.fire_trigger inside this transaction."""
        ...


@dataclass(frozen=True)
class SourceLease:
    """A polling/realtime trigger leased to one process: what it needs to (re)start the source."""

    namespace: str
    flow_id: str
    trigger_id: str
    owner: str
    expires_at: datetime  # by the database's clock
    source_state: dict[str, Any]  # the cursor saved with the trigger's last execution ({} at first)
    locked_execution_id: str | None
    tenant: str = MAIN


class TriggerStore(Protocol):
    """What the store remembers of each trigger, and its fires (exactly once per key), per tenant: a trigger is
    known by (tenant, namespace, flow id, trigger id); each call sees one tenant's triggers unless it says otherwise."""

    def trigger_states(self, namespace: str | None = None, flow_id: str | None = None, *,
                       tenant: str | None = MAIN) -> list[TriggerState]:
        """Stored trigger states by namespace, flow and trigger id, optionally of one namespace and/or flow, of
        `tenant` (None: of every tenant, by tenant first: the scheduler's view)."""
        ...

    def get_trigger_state(self, namespace: str, flow_id: str, trigger_id: str, *,
                          tenant: str = MAIN) -> TriggerState | None: ...

    def set_trigger_disabled(self, namespace: str, flow_id: str, trigger_id: str, disabled: bool | None,
                             now: datetime, *, tenant: str = MAIN) -> TriggerState:
        """Disable or enable a trigger (None flips it), creating its state when absent; the new state."""
        ...

    def unlock_trigger(self, namespace: str, flow_id: str, trigger_id: str, now: datetime, *,
                       tenant: str = MAIN) -> TriggerState | None:
        """Forget the execution the trigger waits for, so it may fire again; None when it has no state."""
        ...

    def set_trigger_error(self, namespace: str, flow_id: str, trigger_id: str, error: str | None,
                          now: datetime, *, tenant: str = MAIN) -> None:
        """Record the latest failure to evaluate the trigger (None clears it), creating its state when absent.
        A fire clears it (unless it is the FAILED execution of a failure, TriggerFire.error), as does a restart."""
        ...

    def fire_trigger(self, fire: TriggerFire, execution: Execution, event: Event, now: datetime) -> FireOutcome:
        """In one transaction (in the fire's tenant, which is the execution's): record the fire's key, create the execution with its first event, move the
        trigger's dates and remember the execution. Nothing written when the key exists or (exclusive) when
        the trigger's previous execution is still active."""
        ...

    def advance_trigger(self, namespace: str, flow_id: str, trigger_id: str, last_date: datetime | None,
                        next_date: datetime | None, now: datetime, *, tenant: str = MAIN) -> None:
        """Move the trigger's last date past skipped dates (never backwards) with its next date, creating its
        state when absent; `last_date` None sets only the next date."""
        ...

    def prune_trigger_fires(self, before: datetime) -> int:
        """Forget the fire keys recorded before `before` in every tenant (their dates are behind every trigger's
        last date)."""
        ...

    def restart_trigger(self, namespace: str, flow_id: str, trigger_id: str, now: datetime, *,
                        tenant: str = MAIN) -> TriggerState | None:
        """Forget the trigger's lock, source lease and dates so it starts afresh from `now` (dates before it
        are not recovered); None when it has no state."""
        ...


# A trigger of a tenant's flow: (tenant, namespace, flow id, trigger id).
TriggerKey = tuple[str, str, str, str]


class TriggerLeases(Protocol):
    """Polling and realtime sources: each runs in one live process at a time, whatever its tenant."""

    def claim_trigger_lease(self, namespace: str, flow_id: str, trigger_id: str, owner: str,
                            seconds: float, *, tenant: str = MAIN) -> SourceLease | None:
        """Lease the trigger's source to `owner` for `seconds` (database clock) when nobody holds it, `owner`
        already does, or the holder's lease expired; None when another live process holds it."""
        ...

    def renew_trigger_leases(self, owner: str, seconds: float) -> set[TriggerKey]:
        """Extend every lease `owner` still holds; the (tenant, namespace, flow_id, trigger_id) of those."""
        ...

    def release_trigger_leases(self, owner: str, keys: Sequence[TriggerKey] | None = None) -> int:
        """Give up `owner`'s leases (of `keys`, or all); how many."""
        ...


class BackfillStore(Protocol):
    """Backfills of Schedule triggers, one per trigger of a tenant at most."""

    def backfills(self, namespace: str | None = None, flow_id: str | None = None, *,
                  tenant: str | None = MAIN) -> list[BackfillState]:
        """Backfills by namespace, flow and trigger id, optionally of one namespace and/or flow id, of `tenant`
        (None: of every tenant, by tenant first)."""
        ...

    def get_backfill(self, namespace: str, flow_id: str, trigger_id: str, *,
                     tenant: str = MAIN) -> BackfillState | None: ...

    def create_backfill(self, backfill: BackfillState) -> bool:
        """Store a new backfill (in its tenant); False (nothing written) when the trigger already has one."""
        ...

    def set_backfill_paused(self, namespace: str, flow_id: str, trigger_id: str, paused: bool,
                            now: datetime, *, tenant: str = MAIN) -> BackfillState | None:
        """Pause or resume a backfill; None when the trigger has none."""
        ...

    def delete_backfill(self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str = MAIN) -> bool:
        """Drop a backfill (finished or cancelled); False when there was none."""
        ...

    def advance_backfill(self, namespace: str, flow_id: str, trigger_id: str, cursor: datetime,
                         execution_id: str | None, fired: int, now: datetime, *, tenant: str = MAIN) -> None:
        """Move the backfill's cursor to `cursor` (never backwards), count `fired` more executions and, when
        given, remember the last execution it created."""
        ...


class ExecutionEnds(Protocol):
    """The Flow triggers' outbox: ended executions, consumed once each, and the precondition windows."""

    def process_next_end(self, handler: Callable[[EndTx, ExecutionEnd], None], now: datetime) -> bool:
        """Claim the oldest ended execution no other scheduler holds, run `handler` in its transaction,
        delete it and commit. False when none waits."""
        ...

    def pending_ends(self) -> int:
        """How many ended executions wait for the Flow triggers."""
        ...

    def discard_ends(self, state: State) -> int:
        """Drop the queued transitions into `state` (no Flow trigger observes it); how many were dropped."""
        ...

    def get_precondition(self, namespace: str, flow_id: str, trigger_id: str, *,
                         tenant: str = MAIN) -> PreconditionState | None:
        """What the Flow trigger's preconditions met in their current window; None when nothing yet."""
        ...

    def reset_precondition(self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str = MAIN) -> bool:
        """Forget what the trigger's preconditions met; False when nothing was stored."""
        ...
