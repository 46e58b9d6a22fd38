"""Task-run rows and loop items: one row per task run, one row per loop item, never one growing document."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, insert, select

from legato.model.execution import Execution, TaskRun
from legato.model.state import State
from legato.store.dialect import Dialect
from legato.store.schema import executions, loop_items, task_runs

_t = task_runs.c
_i = loop_items.c
_COLUMNS = ("execution_id", "parent_id", "branch", "iteration", "task_id", "state", "data")


def row_of(run: TaskRun) -> dict[str, Any]:
    """The task_runs row of a TaskRun record."""
    return {
        "id": run.id, "execution_id": run.execution_id, "parent_id": run.parent_id, "branch": run.branch,
        "iteration": run.iteration, "task_id": run.task_id, "state": run.state.value, "data": run,
    }


def _scope_query(parent_is_null: bool, iteration_is_null: bool) -> Select[Any]:
    # NULL-safe equality is not indexable on PostgreSQL, so each NULL combination gets its own query.
    parent = _t.parent_id.is_(None) if parent_is_null else _t.parent_id == bindparam("parent_id")
    iteration = _t.iteration.is_(None) if iteration_is_null else _t.iteration == bindparam("iteration")
    return (
        select(_t.data)
        .where(_t.execution_id == bindparam("execution_id"), parent, _t.branch == bindparam("branch"), iteration)
        .order_by(_t.seq)
    )


class TaskRunQueries:
    """Named queries over task_runs and loop_items."""

    def __init__(self, dialect: Dialect):
        self._upsert = dialect.upsert(task_runs, ["id"], _COLUMNS)
        self._by_id = select(_t.data).where(_t.id == bindparam("id"))
        self._by_ids = select(_t.data).where(_t.id.in_(bindparam("ids", expanding=True)))
        parents = select(_t.parent_id).where(_t.id.in_(bindparam("ids", expanding=True))).scalar_subquery()
        self._by_ids_with_parents = select(_t.data).where(_t.id.in_(bindparam("ids", expanding=True)) | _t.id.in_(parents))
        self._of_execution = select(_t.data).where(_t.execution_id == bindparam("execution_id")).order_by(_t.seq)
        self._scopes = {(p, i): _scope_query(p, i) for p in (True, False) for i in (True, False)}
        self._in_states = (
            select(_t.data)
            .where(_t.execution_id == bindparam("execution_id"), _t.state.in_(bindparam("states", expanding=True)))
            .order_by(_t.seq)
        )
        self._of_task = (
            select(_t.data)
            .where(_t.execution_id == bindparam("execution_id"), _t.task_id == bindparam("task_id"))
            .order_by(_t.seq)
        )
        self._with_executions = (
            select(_t.data.label("run"), executions.c.data.label("execution"))
            .join_from(task_runs, executions, executions.c.id == _t.execution_id)
            .where(_t.id.in_(bindparam("ids", expanding=True)))
        )
        self._item = select(_i.value).where(_i.task_run_id == bindparam("run_id"), _i.idx == bindparam("idx"))
        self._clear_items = delete(loop_items).where(_i.task_run_id == bindparam("run_id"))
        self._insert_item = insert(loop_items)

    def upsert(self, conn: Connection, runs: Sequence[TaskRun]) -> None:
        """Insert or replace task runs (a new one takes the next creation-order number)."""
        # One row per id (the last version wins): PostgreSQL refuses to upsert a row twice in one statement.
        unique = {r.id: r for r in runs}
        if unique:
            conn.execute(self._upsert, [row_of(r) for r in unique.values()])

    def get(self, conn: Connection, task_run_id: str) -> TaskRun | None:
        """One task run by id."""
        return conn.execute(self._by_id, {"id": task_run_id}).scalar()

    def get_many(self, conn: Connection, task_run_ids: Iterable[str]) -> list[TaskRun]:
        """The task runs with these ids (absent ones left out)."""
        ids = sorted(set(task_run_ids))
        return list(conn.execute(self._by_ids, {"ids": ids}).scalars()) if ids else []

    def get_many_with_parents(self, conn: Connection, task_run_ids: Iterable[str]) -> list[TaskRun]:
        """The task runs with these ids and their parent runs (the engine reads both when a task ends)."""
        ids = sorted(set(task_run_ids))
        return list(conn.execute(self._by_ids_with_parents, {"ids": ids}).scalars()) if ids else []

    def with_executions(self, conn: Connection, task_run_ids: Sequence[str]) -> dict[str, tuple[TaskRun, Execution]]:
        """These task runs with their executions, by task-run id (absent ones left out)."""
        if not task_run_ids:
            return {}
        rows = conn.execute(self._with_executions, {"ids": sorted(set(task_run_ids))})
        return {r.run.id: (r.run, r.execution) for r in rows}

    def of_execution(self, conn: Connection, execution_id: str) -> list[TaskRun]:
        """Every task run of an execution in creation order."""
        return list(conn.execute(self._of_execution, {"execution_id": execution_id}).scalars())

    def scope(self, conn: Connection, execution_id: str, parent_id: str | None, branch: str, iteration: int | None) -> list[TaskRun]:
        """The runs of one child list of one parent in one iteration, in creation order."""
        query = self._scopes[(parent_id is None, iteration is None)]
        params = {"execution_id": execution_id, "parent_id": parent_id, "branch": branch, "iteration": iteration}
        return list(conn.execute(query, params).scalars())

    def in_states(self, conn: Connection, execution_id: str, wanted: Iterable[State]) -> list[TaskRun]:
        """The execution's runs currently in one of `wanted`."""
        names = sorted({State(s).value for s in wanted})
        if not names:
            return []
        return list(conn.execute(self._in_states, {"execution_id": execution_id, "states": names}).scalars())

    def of_task(self, conn: Connection, execution_id: str, task_id: str) -> list[TaskRun]:
        """Every run of `task_id` in the execution."""
        return list(conn.execute(self._of_task, {"execution_id": execution_id, "task_id": task_id}).scalars())

    def item(self, conn: Connection, loop_run_id: str, index: int) -> tuple[bool, Any]:
        """(found, value) of one loop item."""
        row = conn.execute(self._item, {"run_id": loop_run_id, "idx": index}).first()
        return (False, None) if row is None else (True, row[0])

    def replace_items(self, conn: Connection, loop_run_id: str, items: Sequence[Any]) -> None:
        """Make `items` the loop items of a loop run."""
        conn.execute(self._clear_items, {"run_id": loop_run_id})
        if items:
            conn.execute(self._insert_item, [{"task_run_id": loop_run_id, "idx": i, "value": v} for i, v in enumerate(items)])
