"""Searching and counting: executions by namespace, flow, state, labels and dates; log lines by execution,
flow, level, text and time. Filters, sorting and paging all happen in SQL, so a page costs the same
whatever the size of the history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, false, func, or_, select

from legato.model.execution import Execution, LogRecord
from legato.model.state import State
from legato.store.dialect import Dialect
from legato.store.logs import levels_at_least
from legato.store.ports import CountKey, ExecutionCount, ExecutionFilter, ExecutionSort, LogFilter, StoredLog
from legato.store.ports.tenants import MAIN
from legato.store.schema import executions, logs

_x = executions.c
_l = logs.c
_LOG_COLUMNS = (_l.id, _l.execution_id, _l.task_run_id, _l.task_id, _l.attempt, _l.level, _l.message, _l.timestamp)


def in_namespace(column: Any, namespace: str) -> ColumnElement[bool]:
    """`column` is `namespace` or one of its children (LIKE wildcards in the name are escaped)."""
    return (column == namespace) | column.startswith(namespace + ".", autoescape=True)  # type: ignore[no-any-return]


def within(column: Any, namespaces: Sequence[str]) -> ColumnElement[bool]:
    """`column` is one of `namespaces` or a child of one (nothing when there are none)."""
    if not namespaces:
        return false()
    return or_(*(in_namespace(column, n) for n in namespaces))


class SearchQueries:
    """Named queries that search and count executions and log lines."""

    def __init__(self, dialect: Dialect):
        self._dialect = dialect
        self._sort = {
            "created": (_x.created,), "ended": (_x.ended,), "state": (_x.state,),
            "namespace": (_x.namespace, _x.flow_id), "flow_id": (_x.flow_id,), "id": (),
        }
        self._group = {
            "state": _x.state, "namespace": _x.namespace, "flow_id": _x.flow_id,
            "quarter_hour": dialect.quarter_hour(_x.created),
        }

    # executions ------------------------------------------------------------------------------------------------

    def _where(self, query: Select[Any], f: ExecutionFilter) -> Select[Any]:
        query = query.where(_x.tenant == f.tenant)
        if f.namespace is not None:
            query = query.where(_x.namespace == f.namespace if f.flow_id else in_namespace(_x.namespace, f.namespace))
        if f.flow_id is not None:
            query = query.where(_x.flow_id == f.flow_id)
        if f.states is not None:
            query = query.where(_x.state.in_(sorted(State(s).value for s in f.states)))
        for n, (key, value) in enumerate(f.labels):
            query = query.where(self._dialect.has_label(_x.data, key, value, n))
        if f.created_from is not None:
            query = query.where(_x.created >= f.created_from)
        if f.created_to is not None:
            query = query.where(_x.created <= f.created_to)
        if not f.transient:
            query = query.where(_x.transient == false())
        if f.within is not None:
            query = query.where(within(_x.namespace, f.within))
        return query

    def executions(self, conn: Connection, f: ExecutionFilter, sort: ExecutionSort, descending: bool,
                   limit: int, offset: int) -> tuple[list[Execution], int]:
        """A page of matching executions in `sort` order (ties by id) and the number matching."""
        if sort not in self._sort:
            raise ValueError(f"cannot sort executions by {sort!r}; use one of {', '.join(self._sort)}")
        columns = [*self._sort[sort], _x.id]
        order = [c.desc().nulls_last() if descending else c.asc().nulls_last() for c in columns]
        page = self._where(select(_x.data), f).order_by(*order).limit(limit).offset(offset)
        found: list[Execution] = list(conn.execute(page).scalars())
        if offset == 0 and len(found) < limit:
            return found, len(found)
        total = conn.execute(self._where(select(func.count()).select_from(executions), f)).scalar_one()
        return found, int(total)

    def counts(self, conn: Connection, f: ExecutionFilter, by: Sequence[CountKey]) -> list[ExecutionCount]:
        """Matching executions grouped by `by`, with the durations of those that ended, sorted by key."""
        unknown = [k for k in by if k not in self._group]
        if unknown:
            raise ValueError(f"cannot count executions by {unknown[0]!r}; use any of {', '.join(self._group)}")
        keys = [self._group[k].label(f"k{i}") for i, k in enumerate(by)]
        seconds = self._dialect.seconds_between(_x.created, _x.ended)
        query: Select[Any] = select(*keys, func.count(), func.count(_x.ended), func.sum(seconds), func.min(seconds),
                                    func.max(seconds)).select_from(executions)
        query = self._where(query, f)
        if keys:
            query = query.group_by(*keys).order_by(*keys)
        out = []
        for row in conn.execute(query):
            values: tuple[Any, ...] = tuple(row)
            key = tuple(str(v) for v in values[:len(keys)])
            count, ended, total, low, high = values[len(keys):]
            if count == 0:
                continue  # an aggregate without GROUP BY answers one row even when nothing matched
            out.append(ExecutionCount(key=key, count=int(count), ended=int(ended), seconds_sum=float(total or 0.0),
                                      seconds_min=None if low is None else float(low),
                                      seconds_max=None if high is None else float(high)))
        return out

    # logs ------------------------------------------------------------------------------------------------------

    def _log_where(self, query: Select[Any], f: LogFilter) -> Select[Any]:
        if f.execution_id is not None:
            query = query.where(_l.execution_id == f.execution_id)
        if f.task_run_id is not None:
            query = query.where(_l.task_run_id == f.task_run_id)
        if f.attempt is not None:
            query = query.where(_l.attempt == f.attempt)
        if f.min_level is not None:
            query = query.where(_l.level.in_(levels_at_least(f.min_level)))
        if f.levels is not None:
            query = query.where(_l.level.in_(sorted(f.levels)))
        if f.text:
            query = query.where(func.lower(_l.message).contains(f.text.lower(), autoescape=True))
        if f.time_from is not None:
            query = query.where(_l.timestamp >= f.time_from)
        if f.time_to is not None:
            query = query.where(_l.timestamp <= f.time_to)
        if f.positions is not None:
            query = query.where(_l.id > f.positions[0], _l.id <= f.positions[1])
        if f.namespace is not None or f.flow_id is not None or f.within is not None:
            flows = select(_x.id).where(_x.tenant == f.tenant)
            if f.within is not None:
                flows = flows.where(within(_x.namespace, f.within))
            if f.namespace is not None:
                flows = flows.where(_x.namespace == f.namespace if f.flow_id else in_namespace(_x.namespace, f.namespace))
            if f.flow_id is not None:
                flows = flows.where(_x.flow_id == f.flow_id)
            query = query.where(_l.execution_id.in_(flows))
        elif f.execution_id is None:
            # A search stays in one tenant. Lines without an execution row (written before it, or by a tool) are
            # main's; of one execution (execution_id), those of an execution whose tenant the caller checked.
            if f.tenant == MAIN:
                query = query.where(_l.execution_id.not_in(select(_x.id).where(_x.tenant != MAIN)))
            else:
                query = query.where(_l.execution_id.in_(select(_x.id).where(_x.tenant == f.tenant)))
        return query

    def logs_after(self, conn: Connection, f: LogFilter, after_id: int, limit: int) -> list[StoredLog]:
        """Matching lines with an id above `after_id`, in insertion order."""
        query = self._log_where(select(*_LOG_COLUMNS), f).where(_l.id > after_id).order_by(_l.id).limit(limit)
        return [_stored(row) for row in conn.execute(query)]

    def logs(self, conn: Connection, f: LogFilter, descending: bool, limit: int,
             offset: int) -> tuple[list[StoredLog], int]:
        """A page of matching lines by time, each with its execution's namespace and flow; and how many match."""
        query = select(*_LOG_COLUMNS, _x.namespace, _x.flow_id).select_from(
            logs.outerjoin(executions, _x.id == _l.execution_id))
        order = (_l.timestamp.desc(), _l.id.desc()) if descending else (_l.timestamp.asc(), _l.id.asc())
        page = self._log_where(query, f).order_by(*order).limit(limit).offset(offset)
        found = [_stored(row, joined=True) for row in conn.execute(page)]
        if offset == 0 and len(found) < limit:
            return found, len(found)
        total = conn.execute(self._log_where(select(func.count()).select_from(logs), f)).scalar_one()
        return found, int(total)

    def log_ids(self, f: LogFilter) -> Select[Any]:
        """The ids of matching lines (for deleting them)."""
        return self._log_where(select(_l.id), f)


def _stored(row: Any, *, joined: bool = False) -> StoredLog:
    m = row._mapping
    record = LogRecord(execution_id=m["execution_id"], task_run_id=m["task_run_id"], task_id=m["task_id"],
                       attempt=m["attempt"], level=m["level"], message=m["message"], timestamp=m["timestamp"])
    if joined:
        return StoredLog(id=m["id"], record=record, namespace=m["namespace"], flow_id=m["flow_id"])
    return StoredLog(id=m["id"], record=record)
