"""The trigger aggregate over SQL: trigger state and fires, source leases, backfills, and the Flow
triggers' outbox of ended executions; a trigger is known by (tenant, namespace, flow id, trigger id)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from legato.engine.events import Event
from legato.model.execution import Execution, TaskRun
from legato.model.state import State
from legato.store.backfills import BackfillQueries
from legato.store.database import Database, WriteTx
from legato.store.fires import FireQueries
from legato.store.leases import LeaseQueries
from legato.store.ports import (
    BackfillState,
    ExecutionEnd,
    FireOutcome,
    PreconditionState,
    SourceLease,
    TriggerFire,
    TriggerKey,
    TriggerState,
)
from legato.store.ports.tenants import MAIN
from legato.store.queries import Queries


class SqlTriggers:
    """ports.TriggerStore over SQL. `clock` stamps the first event of the executions fires create."""

    def __init__(self, db: Database, q: Queries, clock: Callable[[], datetime], backfills: BackfillQueries):
        self._db = db
        self._q = q
        self._clock = clock
        self._fires = FireQueries(db.dialect)
        self._backfills = backfills

    def trigger_states(self, namespace: str | None = None, flow_id: str | None = None, *,
                       tenant: str | None = MAIN) -> list[TriggerState]:
        with self._db.read() as conn:
            return self._q.triggers.find(conn, namespace, flow_id, tenant)

    def get_trigger_state(self, namespace: str, flow_id: str, trigger_id: str, *,
                          tenant: str = MAIN) -> TriggerState | None:
        with self._db.read() as conn:
            return self._q.triggers.get(conn, namespace, flow_id, trigger_id, tenant)

    def set_trigger_disabled(self, namespace: str, flow_id: str, trigger_id: str, disabled: bool | None,
                             now: datetime, *, tenant: str = MAIN) -> TriggerState:
        with self._db.write() as tx:
            return self._q.triggers.set_disabled(tx.conn, namespace, flow_id, trigger_id, disabled, now, tenant)

    def unlock_trigger(self, namespace: str, flow_id: str, trigger_id: str, now: datetime, *,
                       tenant: str = MAIN) -> TriggerState | None:
        with self._db.write() as tx:
            return self._q.triggers.unlock(tx.conn, namespace, flow_id, trigger_id, now, tenant)

    def set_trigger_error(self, namespace: str, flow_id: str, trigger_id: str, error: str | None,
                          now: datetime, *, tenant: str = MAIN) -> None:
        with self._db.write() as tx:
            self._q.triggers.set_error(tx.conn, namespace, flow_id, trigger_id, error, now, tenant)

    def fire_trigger(self, fire: TriggerFire, execution: Execution, event: Event, now: datetime) -> FireOutcome:
        with self._db.write() as tx:
            return self.fire_in(tx, fire, execution, event, now)

    def fire_in(self, tx: WriteTx, fire: TriggerFire, execution: Execution, event: Event, now: datetime) -> FireOutcome:
        """fire_trigger inside the caller's write transaction (the Flow trigger's outbox consumer)."""
        if execution.tenant != fire.tenant:
            raise ValueError(f"a trigger of tenant '{fire.tenant}' cannot create an execution in tenant "
                             f"'{execution.tenant}'")
        queries = self._fires
        trigger_key = (fire.tenant, fire.namespace, fire.flow_id, fire.trigger_id)
        state = queries.lock_state(tx.conn, trigger_key, now)
        if fire.lease_owner is not None and state.lease_owner != fire.lease_owner:
            return "fenced"
        if fire.exclusive and state.locked_execution_id and queries.is_active(tx.conn, state.locked_execution_id):
            return "locked"
        if not queries.insert_fire(tx.conn, fire, execution.id, now):
            return "duplicate"
        if not self._q.executions.insert_new(tx.conn, execution):
            raise ValueError(f"execution id {execution.id} already exists")
        self._q.events.insert(tx.conn, execution.id, event, self._clock())
        tx.touch("events")
        if not fire.backfill:
            queries.move(tx.conn, state, trigger_key, fire.date, fire.next_date, execution.id, now)
        elif fire.exclusive:  # a backfill's execution holds the trigger too, its dates stay as they are
            queries.move(tx.conn, state, trigger_key, None, state.next_date, execution.id, now)
        if fire.state is not None:
            queries.save_state(tx.conn, trigger_key, fire.state)
        if fire.error is not None or state.error is not None:  # a failure's execution records it, others clear it
            self._q.triggers.set_error(tx.conn, fire.namespace, fire.flow_id, fire.trigger_id, fire.error, now,
                                       fire.tenant)
        return "fired"

    def advance_trigger(self, namespace: str, flow_id: str, trigger_id: str, last_date: datetime | None,
                        next_date: datetime | None, now: datetime, *, tenant: str = MAIN) -> None:
        queries = self._fires
        key = (tenant, namespace, flow_id, trigger_id)
        with self._db.write() as tx:
            state = queries.lock_state(tx.conn, key, now)
            queries.move(tx.conn, state, key, last_date, next_date, state.locked_execution_id, now)

    def prune_trigger_fires(self, before: datetime) -> int:
        with self._db.write() as tx:
            return self._fires.prune(tx.conn, before)

    def restart_trigger(self, namespace: str, flow_id: str, trigger_id: str, now: datetime, *,
                        tenant: str = MAIN) -> TriggerState | None:
        with self._db.write() as tx:
            if not self._backfills.restart(tx.conn, (tenant, namespace, flow_id, trigger_id), now):
                return None
            return self._q.triggers.get(tx.conn, namespace, flow_id, trigger_id, tenant)


class SqlTriggerLeases:
    """ports.TriggerLeases over SQL (the lease columns of the trigger rows)."""

    def __init__(self, db: Database):
        self._db = db
        self._leases = LeaseQueries(db.dialect)

    def claim_trigger_lease(self, namespace: str, flow_id: str, trigger_id: str, owner: str,
                            seconds: float, *, tenant: str = MAIN) -> SourceLease | None:
        with self._db.write() as tx:
            return self._leases.claim(tx.conn, (tenant, namespace, flow_id, trigger_id), owner, seconds)

    def renew_trigger_leases(self, owner: str, seconds: float) -> set[TriggerKey]:
        with self._db.write() as tx:
            return self._leases.renew(tx.conn, owner, seconds)

    def release_trigger_leases(self, owner: str, keys: Sequence[TriggerKey] | None = None) -> int:
        with self._db.write() as tx:
            return self._leases.release(tx.conn, owner, keys)


class SqlBackfills:
    """ports.BackfillStore over SQL."""

    def __init__(self, db: Database, backfills: BackfillQueries):
        self._db = db
        self._backfills = backfills

    def backfills(self, namespace: str | None = None, flow_id: str | None = None, *,
                  tenant: str | None = MAIN) -> list[BackfillState]:
        with self._db.read() as conn:
            return self._backfills.find(conn, namespace, flow_id, tenant)

    def get_backfill(self, namespace: str, flow_id: str, trigger_id: str, *,
                     tenant: str = MAIN) -> BackfillState | None:
        with self._db.read() as conn:
            return self._backfills.get(conn, (tenant, namespace, flow_id, trigger_id))

    def create_backfill(self, backfill: BackfillState) -> bool:
        with self._db.write() as tx:
            return self._backfills.create(tx.conn, backfill)

    def set_backfill_paused(self, namespace: str, flow_id: str, trigger_id: str, paused: bool,
                            now: datetime, *, tenant: str = MAIN) -> BackfillState | None:
        queries, key = self._backfills, (tenant, namespace, flow_id, trigger_id)
        with self._db.write() as tx:
            if not queries.set_paused(tx.conn, key, paused, now):
                return None
            return queries.get(tx.conn, key)

    def delete_backfill(self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str = MAIN) -> bool:
        with self._db.write() as tx:
            return self._backfills.delete(tx.conn, (tenant, namespace, flow_id, trigger_id))

    def advance_backfill(self, namespace: str, flow_id: str, trigger_id: str, cursor: datetime,
                         execution_id: str | None, fired: int, now: datetime, *, tenant: str = MAIN) -> None:
        with self._db.write() as tx:
            self._backfills.advance(tx.conn, (tenant, namespace, flow_id, trigger_id), cursor, execution_id, fired, now)


class SqlEndTx:
    """ports.EndTx: the scheduler's transaction around one ended execution."""

    def __init__(self, wtx: WriteTx, q: Queries, triggers: SqlTriggers, end: ExecutionEnd, now: datetime):
        self._wtx = wtx
        self._q = q
        self._triggers = triggers
        self._end = end
        self._now = now
        self._ends = q.ends

    def execution(self) -> Execution | None:
        return self._q.executions.get(self._wtx.conn, self._end.execution_id)

    def task_runs(self) -> list[TaskRun]:
        return self._q.task_runs.of_execution(self._wtx.conn, self._end.execution_id)

    def lock_precondition(self, namespace: str, flow_id: str, trigger_id: str, *,
                          tenant: str = MAIN) -> PreconditionState:
        return self._ends.lock_precondition(self._wtx.conn, (tenant, namespace, flow_id, trigger_id), self._now)

    def save_precondition(self, namespace: str, flow_id: str, trigger_id: str, state: PreconditionState, *,
                          tenant: str = MAIN) -> None:
        self._ends.save_precondition(self._wtx.conn, (tenant, namespace, flow_id, trigger_id), state, self._now)

    def fire(self, fire: TriggerFire, execution: Execution, event: Event) -> FireOutcome:
        return self._triggers.fire_in(self._wtx, fire, execution, event, self._now)


class SqlExecutionEnds:
    """ports.ExecutionEnds over SQL: the outbox's fires go through the SqlTriggers given."""

    def __init__(self, db: Database, q: Queries, triggers: SqlTriggers):
        self._db = db
        self._q = q
        self._triggers = triggers

    def process_next_end(self, handler: Callable[[SqlEndTx, ExecutionEnd], None], now: datetime) -> bool:
        queries = self._q.ends
        if not self._db.dialect.concurrent_writers:
            # A single-writer database would be locked for everyone just to find the outbox empty.
            with self._db.read() as conn:
                if not queries.any_queued(conn):
                    return False
        with self._db.write() as tx:
            end = queries.pick(tx.conn)
            if end is None or not queries.delete(tx.conn, end.id):
                return False
            handler(SqlEndTx(tx, self._q, self._triggers, end, now), end)
            return True

    def pending_ends(self) -> int:
        with self._db.read() as conn:
            return self._q.ends.count(conn)

    def discard_ends(self, state: State) -> int:
        with self._db.write() as tx:
            return self._q.ends.discard(tx.conn, state)

    def get_precondition(self, namespace: str, flow_id: str, trigger_id: str, *,
                         tenant: str = MAIN) -> PreconditionState | None:
        with self._db.read() as conn:
            return self._q.ends.get_precondition(conn, (tenant, namespace, flow_id, trigger_id))

    def reset_precondition(self, namespace: str, flow_id: str, trigger_id: str, *, tenant: str = MAIN) -> bool:
        with self._db.write() as tx:
            return self._q.ends.delete_precondition(tx.conn, (tenant, namespace, flow_id, trigger_id))
