"""Contract: the ExecutionView inside the event transaction answers exactly as engine.view.MemoryView."""

from __future__ import annotations

from typing import Any

import pytest

from legato.engine.view import ExecutionView, MemoryView
from legato.model.execution import Execution, TaskRun
from legato.model.state import State
from legato.store.ports import Tx
from legato.store.sql import SqlStore

from .helpers import NOW, at, in_tx, run, started

ALL_STATES = list(State)


def answers(view: ExecutionView, runs: list[TaskRun], loops: dict[str, int]) -> dict[str, Any]:
    """Everything a decision could ask of `view` about these runs."""
    scopes = {(r.parent_id, r.branch, r.iteration) for r in runs} | {(None, "tasks", None), ("none", "x", 7)}
    return {
        "execution": view.execution,
        "runs": {r.id: view.task_run(r.id) for r in runs},
        "scopes": {key: view.scope(*key) for key in sorted(scopes, key=repr)},
        "items": {(k, i): view.item(k, i) for k, n in loops.items() for i in range(n)},
        "states": {s: view.runs_in_states([s]) for s in ALL_STATES},
        "active": view.runs_in_states([State.RUNNING, State.CREATED]),
        "outputs": {t: view.outputs_of(t) for t in sorted({r.task_id for r in runs} | {"nothing"})},
    }


class ViewContract:
    def test_view_matches_memory_view_before_and_after_writes_in_the_same_tx(self, store: SqlStore) -> None:
        ex = started(store)
        loop = run(ex.id, "each", state=State.RUNNING)
        first = [
            loop,
            run(ex.id, "a", parent_id=loop.id, iteration=0, state=State.SUCCESS, outputs={"v": 0}),
            run(ex.id, "b", parent_id=loop.id, iteration=0),
            run(ex.id, "a", parent_id=loop.id, iteration=1, state=State.RUNNING),
            run(ex.id, "e", parent_id=loop.id, branch="errors"),
            run(ex.id, "top", state=State.SUCCESS, outputs={"x": {"deep": [1]}}),
        ]
        items: dict[str, list[Any]] = {loop.id: ["s", 1, 2.5, None, True, {"k": [1]}, [1, "2"]]}
        in_tx(store, ex.id, lambda tx: tx.write(None, first, items))
        memory = MemoryView(ex, first, items)

        second_exec = ex.with_state(State.RUNNING, at(1))
        changed = [
            first[2].with_state(State.SUCCESS, at(1)).model_copy(update={"outputs": {"b": 1}}),
            run(ex.id, "b", parent_id=loop.id, iteration=1),
            run(ex.id, "late", state=State.PAUSED),
        ]
        new_items: dict[str, list[Any]] = {loop.id: ["only"], changed[1].id: [1, 2]}

        def check(tx: Tx) -> None:
            view = tx.view()
            assert answers(view, first, {loop.id: 7}) == answers(memory, first, {loop.id: 7})
            tx.write(second_exec, changed, new_items)
            memory.apply(second_exec, {r.id: r for r in changed}, new_items)
            everything = [*first, changed[1], changed[2]]
            loops = {loop.id: 1, changed[1].id: 2}
            assert answers(view, everything, loops) == answers(memory, everything, loops)

        in_tx(store, ex.id, check)
        # and a fresh transaction reads the same committed state
        everything = [*first, changed[1], changed[2]]
        loops = {loop.id: 1, changed[1].id: 2}
        assert in_tx(store, ex.id, lambda tx: answers(tx.view(), everything, loops)) == answers(memory, everything, loops)
        # and so does the read-only view the worker uses outside any transaction
        read_view = store.read_view(ex.id)
        assert read_view is not None
        assert answers(read_view, everything, loops) == answers(memory, everything, loops)
        assert store.read_view("missing") is None

    def test_scope_is_in_creation_order_even_when_a_run_is_updated(self, store: SqlStore) -> None:
        ex = started(store)
        runs = [run(ex.id, f"t{i}") for i in range(5)]
        in_tx(store, ex.id, lambda tx: tx.write(None, runs, {}))
        runs[0] = runs[0].with_state(State.SUCCESS, at(1))

        def update_then_read(tx: Tx) -> list[TaskRun]:
            before = tx.view().scope(None, "tasks", None)
            tx.write(None, [runs[0]], {})
            assert tx.view().task_run(runs[0].id) == runs[0]
            return [*before, *tx.view().scope(None, "tasks", None)]

        got = in_tx(store, ex.id, update_then_read)
        assert [r.task_id for r in got] == [f"t{i}" for i in range(5)] * 2
        assert got[5] == runs[0]

    def test_missing_run_and_item_raise(self, store: SqlStore) -> None:
        ex, other = started(store), started(store)
        foreign = run(other.id, "t")
        in_tx(store, other.id, lambda tx: tx.write(None, [foreign], {"loop": [1]}))

        def probe(tx: Tx) -> None:
            with pytest.raises(KeyError):
                tx.view().task_run("missing")
            with pytest.raises(KeyError):
                tx.view().task_run(foreign.id)  # another execution's run is not part of this view
            with pytest.raises(IndexError):
                tx.view().item("loop", 1)

        in_tx(store, ex.id, probe)

    def test_prefetched_runs_answer_as_reads_and_a_run_written_later_is_found(self, store: SqlStore) -> None:
        ex, other = started(store), started(store)
        kept = run(ex.id, "kept", state=State.SUCCESS)
        foreign = run(other.id, "t")
        in_tx(store, other.id, lambda tx: tx.write(None, [foreign], {}))
        in_tx(store, ex.id, lambda tx: tx.write(None, [kept], {}))
        new = run(ex.id, "new")

        def probe(tx: Tx) -> TaskRun:
            view = tx.view()
            view.prefetch([kept.id, new.id, foreign.id, "missing"])
            assert view.task_run(kept.id) == kept
            for absent in (new.id, foreign.id, "missing"):
                with pytest.raises(KeyError):
                    view.task_run(absent)
            tx.write(None, [new], {})  # a run learnt absent and then written is there
            return view.task_run(new.id)

        assert in_tx(store, ex.id, probe) == new

    def test_view_execution_is_the_locked_row_and_follows_writes(self, store: SqlStore) -> None:
        ex = started(store)
        moved: Execution = ex.with_state(State.RUNNING, NOW)

        def body(tx: Tx) -> tuple[Execution, Execution]:
            before = tx.view().execution
            tx.write(moved, [], {})
            return before, tx.view().execution

        assert in_tx(store, ex.id, body) == (ex, moved)
