"""The store's trigger values and the Flow-trigger transaction port: trigger state, fires, backfills, ended
executions queued for Flow triggers, precondition windows and source leases (see legato.store.ports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from legato.engine.events import Event
from legato.model.execution import Execution, TaskRun
from legato.model.state import State


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


@dataclass(frozen=True)
class TriggerFire:
    """One firing of a trigger, unique by (namespace, flow_id, trigger_id, key)."""

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

    def lock_precondition(self, namespace: str, flow_id: str, trigger_id: str) -> PreconditionState:
        """The trigger's precondition state (empty when new), locked until commit."""
        ...

    def save_precondition(self, namespace: str, flow_id: str, trigger_id: str, state: PreconditionState) -> None: ...

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
