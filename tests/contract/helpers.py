"""Builders and constants shared by the store contract tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from legato.engine.events import ExecutionCreated
from legato.model.execution import Execution, TaskRun
from legato.model.ids import new_id
from legato.model.state import State
from legato.store.ports import StoredEvent, Tx
from legato.store.sql import SqlStore

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def at(seconds: float) -> datetime:
    """NOW moved by `seconds`."""
    return NOW + timedelta(seconds=seconds)


def execution(
    namespace: str = "company.team", flow_id: str = "hello", *, state: State = State.CREATED,
    created: datetime = NOW, parent_id: str | None = None, **fields: Any,
) -> Execution:
    return Execution(
        id=new_id(), namespace=namespace, flow_id=flow_id, flow_revision=1, state=state,
        created=created, parent_id=parent_id, **fields,
    )


def run(
    execution_id: str, task_id: str, *, parent_id: str | None = None, branch: str = "tasks",
    iteration: int | None = None, state: State = State.CREATED, **fields: Any,
) -> TaskRun:
    return TaskRun(
        id=new_id(), execution_id=execution_id, task_id=task_id, parent_id=parent_id, branch=branch,
        iteration=iteration, state=state, **fields,
    )


def started(store: SqlStore, **fields: Any) -> Execution:
    """An execution created in the store with its ExecutionCreated event already consumed."""
    created = execution(**fields)
    store.create_execution(created, ExecutionCreated())
    assert store.process_next_event(lambda tx, ev: None)
    return created


def in_tx(store: SqlStore, execution_id: str, body: Callable[[Tx], Any], event: Any = None) -> Any:
    """Run `body` inside the transaction of a fresh event sent to `execution_id`; return its result."""
    store.send_event(execution_id, event or ExecutionCreated())
    result: list[Any] = []

    def handler(tx: Tx, stored: StoredEvent) -> None:
        assert stored.execution_id == execution_id
        result.append(body(tx))

    assert store.process_next_event(handler)
    return result[0]


def drain(store: SqlStore) -> list[StoredEvent]:
    """Consume every queued event; the events, in processing order."""
    seen: list[StoredEvent] = []
    while store.process_next_event(lambda tx, ev: seen.append(ev)):
        pass
    return seen
