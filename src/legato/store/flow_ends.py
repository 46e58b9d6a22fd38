"""The Flow trigger's outbox: ended executions waiting for the scheduler, and the preconditions met so far.

The executor's transaction that makes an execution terminal (or pauses it) inserts one `execution_ends` row
(see SqlTx.write); the scheduler consumes the rows one at a time in `process_next_end` (legato.store.sql.triggers),
whose single transaction deletes the row, updates the precondition windows and fires the downstream triggers. A crash
before commit leaves the row for the next pass; a fire's key (the upstream execution id) makes a replay
write nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, literal, select, update

from legato.model.execution import Execution
from legato.model.state import State
from legato.model.triggers import FLOW_TRIGGER_OBSERVABLE
from legato.store.dialect import Dialect, UtcDateTime
from legato.store.ports import ExecutionEnd, PreconditionState
from legato.store.schema import execution_ends, trigger_preconditions

_e = execution_ends.c
_p = trigger_preconditions.c
_PKEY = ((_p.tenant == bindparam("b_tenant")) & (_p.namespace == bindparam("b_ns")) & (_p.flow_id == bindparam("b_flow"))
         & (_p.trigger_id == bindparam("b_trigger")))
Key = tuple[str, str, str, str]  # (tenant, namespace, flow id, trigger id)


# The transitions Flow triggers see: every end, pauses, and each start or resume (RUNNING; dropped in bulk by
# the scheduler while no Flow trigger lists it, `discard`).
OBSERVED = FLOW_TRIGGER_OBSERVABLE


def end_key(execution: Execution) -> str:
    """The fire key of a transition: the execution id for its first end, plus the restart count for a later
    end, plus the position in its history for a pause or a (re)start (an execution may pause several times)."""
    if execution.state in (State.PAUSED, State.RUNNING):
        return f"{execution.id}:{execution.state.value.lower()}:{len(execution.histories)}"
    return execution.id if execution.restarts == 0 else f"{execution.id}:{execution.restarts}"


class EndQueries:
    """Named queries over execution_ends and trigger_preconditions."""

    def __init__(self, dialect: Dialect):
        self._insert = dialect.insert_ignore(execution_ends, ["fire_key"])
        oldest = select(execution_ends).order_by(_e.id).limit(1)
        # The oldest end no other scheduler holds, locked until commit (SQLite: the one writer anyway).
        self._pick = dialect.skip_locked(oldest)
        self._delete = delete(execution_ends).where(_e.id == bindparam("id"))
        self._any = select(literal(1)).select_from(execution_ends).limit(1)
        self._count = select(func.count()).select_from(execution_ends)
        self._discard = delete(execution_ends).where(_e.state == bindparam("state"))
        # Creates the row when absent, else touches it: either way it is locked until commit.
        self._lock_pre = dialect.upsert(trigger_preconditions, ["tenant", "namespace", "flow_id", "trigger_id"], ["updated"]).returning(trigger_preconditions)
        self._save_pre = update(trigger_preconditions).where(_PKEY).values(
            window_start=bindparam("b_start", type_=UtcDateTime()), window_end=bindparam("b_end", type_=UtcDateTime()),
            met=bindparam("b_met", type_=_p.met.type), updated=bindparam("b_now", type_=UtcDateTime()),
        )
        self._get_pre = select(trigger_preconditions).where(_PKEY)
        self._delete_pre = delete(trigger_preconditions).where(_PKEY)

    def record(self, conn: Connection, execution: Execution, now: datetime) -> bool:
        """Queue an execution that ended or paused (once per transition); True when queued now."""
        row = {
            "fire_key": end_key(execution), "execution_id": execution.id, "namespace": execution.namespace,
            "flow_id": execution.flow_id, "state": execution.state.value, "ended": execution.ended or now,
        }
        return conn.execute(self._insert, row).rowcount == 1

    def pick(self, conn: Connection) -> ExecutionEnd | None:
        """Lock the oldest queued end no other transaction holds."""
        row = conn.execute(self._pick).first()
        if row is None:
            return None
        return ExecutionEnd(id=row.id, key=row.fire_key, execution_id=row.execution_id, namespace=row.namespace,
                            flow_id=row.flow_id, state=State(row.state), ended=row.ended)

    def delete(self, conn: Connection, end_id: int) -> bool:
        """Consume an end; False when another transaction already did."""
        return conn.execute(self._delete, {"id": end_id}).rowcount == 1

    def any_queued(self, conn: Connection) -> bool:
        """Whether an end waits."""
        return conn.execute(self._any).first() is not None

    def count(self, conn: Connection) -> int:
        """How many ends wait."""
        return int(conn.execute(self._count).scalar_one())

    def discard(self, conn: Connection, state: State) -> int:
        """Delete the queued transitions into `state`; how many."""
        return int(conn.execute(self._discard, {"state": state.value}).rowcount)

    def lock_precondition(self, conn: Connection, key: Key, now: datetime) -> PreconditionState:
        """The trigger's precondition row, created empty when absent, locked until commit."""
        row = {"tenant": key[0], "namespace": key[1], "flow_id": key[2], "trigger_id": key[3], "met": {}, "updated": now}
        return _precondition(conn.execute(self._lock_pre, row).one())

    def save_precondition(self, conn: Connection, key: Key, state: PreconditionState,
                          now: datetime) -> None:
        """Store the window and what was met in it."""
        params = {**_key(key), "b_start": state.window_start, "b_end": state.window_end, "b_met": state.met,
                  "b_now": now}
        conn.execute(self._save_pre, params)

    def get_precondition(self, conn: Connection, key: Key) -> PreconditionState | None:
        """The trigger's stored precondition state, or None."""
        row = conn.execute(self._get_pre, _key(key)).first()
        return None if row is None else _precondition(row)

    def delete_precondition(self, conn: Connection, key: Key) -> bool:
        """Forget what the trigger's preconditions met; False when nothing was stored."""
        return conn.execute(self._delete_pre, _key(key)).rowcount == 1


def _key(key: Key) -> dict[str, Any]:
    return {"b_tenant": key[0], "b_ns": key[1], "b_flow": key[2], "b_trigger": key[3]}


def _precondition(row: Any) -> PreconditionState:
    return PreconditionState(window_start=row.window_start, window_end=row.window_end, met=dict(row.met or {}))
