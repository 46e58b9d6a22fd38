"""Builders and constants shared by the store contract tests."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from legato.engine.events import ExecutionCreated, KillRequested
from legato.model.execution import Execution, TaskRun
from legato.model.ids import new_id
from legato.model.state import State
from legato.store.ports import StoredEvent, Tx
from legato.store.sql import SqlStore

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


class Boom(Exception):
    """Raised by a test's event handler to roll its transaction back."""


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


Handler = Callable[[Tx, StoredEvent], None]


def assert_one_processor_per_execution(store: SqlStore, process: Callable[[Handler], int | bool], executions: int,
                                       events_each: int, hold: float) -> None:
    """Four threads call `process(handler)` (the store's way of taking events) until the queue is empty, over
    `executions` executions of `events_each` events each; each handler holds its execution for `hold` seconds and
    bumps its restart count. No execution is ever held by two threads at once, each sees its events in order, and
    each event sees the previous one's committed write."""
    queued = [started(store) for _ in range(executions)]
    for ex in queued:
        for _ in range(events_each):
            store.send_event(ex.id, KillRequested())
    active: set[str] = set()
    guard = threading.Lock()
    seen: dict[str, list[int]] = defaultdict(list)
    overlaps: list[str] = []

    def handler(tx: Tx, stored: StoredEvent) -> None:
        with guard:
            if stored.execution_id in active:
                overlaps.append(stored.execution_id)
            active.add(stored.execution_id)
        time.sleep(hold)
        tx.write(tx.view().execution.model_copy(update={"restarts": tx.view().execution.restarts + 1}), [], {})
        with guard:
            active.discard(stored.execution_id)
            seen[stored.execution_id].append(stored.id)

    def loop() -> None:
        idle = 0
        while idle < 3:
            if process(handler):
                idle = 0
            else:
                idle += 1
                time.sleep(0.01)

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert overlaps == []
    for ex in queued:
        assert seen[ex.id] == sorted(seen[ex.id]) and len(seen[ex.id]) == events_each
        assert store.get_execution(ex.id).restarts == events_each  # type: ignore[union-attr]
