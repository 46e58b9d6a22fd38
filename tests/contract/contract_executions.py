"""Contract: executions and task runs as the API reads them."""

from __future__ import annotations

import pytest

from legato.engine.events import ExecutionCreated, KillRequested
from legato.model.execution import Execution, Label, StateEntry
from legato.model.state import State
from legato.store.sql import SqlStore

from .helpers import NOW, at, drain, execution, in_tx, run


class ExecutionContract:
    def test_created_execution_reads_back_equal_with_aware_times(self, store: SqlStore) -> None:
        created = execution(
            inputs={"n": 1, "s": "é", "nested": {"l": [1, None, True]}}, labels=(Label(key="k", value="v"),),
            histories=(StateEntry(state=State.CREATED, date=NOW),), scheduled_at=at(60),
        )
        store.create_execution(created, ExecutionCreated())
        loaded = store.get_execution(created.id)
        assert loaded == created
        assert loaded is not None and loaded.created.utcoffset() is not None
        assert store.get_execution("missing") is None

    def test_create_execution_queues_its_first_event_once(self, store: SqlStore) -> None:
        created = execution()
        store.create_execution(created, ExecutionCreated(running_of_flow=2))
        store.create_execution(created, ExecutionCreated())
        events = drain(store)
        assert [(e.execution_id, e.event) for e in events] == [(created.id, ExecutionCreated(running_of_flow=2))]

    def test_send_event_queues_for_existing_executions_only(self, store: SqlStore) -> None:
        created = execution()
        store.create_execution(created, ExecutionCreated())
        store.send_event(created.id, KillRequested())
        with pytest.raises(KeyError):
            store.send_event("no-such-execution", KillRequested())
        assert [e.event for e in drain(store)] == [ExecutionCreated(), KillRequested()]

    def test_list_executions_filters_and_pages_newest_first(self, store: SqlStore) -> None:
        a = execution("ns", "a", created=at(1))
        b = execution("ns", "b", created=at(2), state=State.RUNNING)
        c = execution("ns", "a", created=at(3), state=State.SUCCESS)
        d = execution("other", "a", created=at(4))
        for e in (a, b, c, d):
            store.create_execution(e, ExecutionCreated())

        def ids(rows: list[Execution]) -> list[str]:
            return [r.id for r in rows]

        assert ids(store.list_executions()) == [d.id, c.id, b.id, a.id]
        assert ids(store.list_executions(namespace="ns")) == [c.id, b.id, a.id]
        assert ids(store.list_executions(namespace="ns", flow_id="a")) == [c.id, a.id]
        assert ids(store.list_executions(flow_id="a")) == [d.id, c.id, a.id]
        assert ids(store.list_executions(states=[State.RUNNING, State.SUCCESS])) == [c.id, b.id]
        assert ids(store.list_executions(states=[])) == []
        assert ids(store.list_executions(limit=2, offset=1)) == [c.id, b.id]

    def test_task_runs_come_back_in_creation_order_with_updates(self, store: SqlStore) -> None:
        created = execution()
        store.create_execution(created, ExecutionCreated())
        first, second = run(created.id, "one"), run(created.id, "two")
        in_tx(store, created.id, lambda tx: tx.write(None, [first, second], {}))
        done = first.with_state(State.SUCCESS, at(1)).model_copy(update={"outputs": {"x": [1, 2]}})
        third = run(created.id, "three")
        in_tx(store, created.id, lambda tx: tx.write(None, [third, done], {}))
        assert store.task_runs(created.id) == [done, second, third]
        assert store.task_runs("missing") == []
