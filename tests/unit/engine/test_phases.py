"""The typed loop and phase state reads rows as earlier versions stored them and writes them back under the same
keys: executions and task runs stored before stay readable, and ones stored now stay readable by them."""

from __future__ import annotations

from legato.engine.phases import ExecutionNotes, ItemBatches, LoopCounters, LoopPosition, Phases, RunPhase
from legato.model.execution import Execution, TaskRun
from legato.model.state import State

from .sim import T0


def _run(scratch: dict[str, object]) -> TaskRun:
    return TaskRun(id="r1", execution_id="e1", task_id="loop", scratch=scratch)


def test_a_loop_run_as_stored_before_reads_and_writes_back_the_same_keys() -> None:
    stored = {"total": 3, "next": 2, "running": 1, "warned": True, "failed": False, "broken": False,
              "map_items": True, "main": "WARNING", "waiting": 0,
              "values": ["a", "b"], "item": {"value": "b", "index": 1}, "loop": [["l1", 1, 1]]}
    run = _run(stored)
    counters, phase, position = LoopCounters.of(run), RunPhase.of(run), LoopPosition.of(run)
    assert (counters.total, counters.next, counters.running, counters.warned, counters.map_items) == (3, 2, 1, True, True)
    assert phase == RunPhase(main=State.WARNING, waiting=0)
    assert position == LoopPosition(values=("a", "b"), item={"value": "b", "index": 1}, loop=(("l1", 1, 1),))
    assert position.into(phase.into(counters.into({}))) == stored


def test_a_foreach_item_run_and_an_execution_as_stored_before() -> None:
    batches = {"phase": "subflows", "total": 4, "created": 4, "ended": 2, "failed": 1}
    assert ItemBatches.of(_run(batches)) == ItemBatches(phase="subflows", total=4, created=4, ended=2, failed=1)
    assert ItemBatches.of(_run(batches)).on(_run({})).scratch == batches
    scratch = {"main": "FAILED", "final": "FAILED", "held": True, "failure": "check failed: x",
               "checks": [{"message": "x", "style": "ERROR"}], "sla_breached": ["s1"], "extract_outputs": {"o": "{{ 1 }}"},
               "flow_attempt": 2, "flow_retry_since": "2026-01-01T00:00:00+00:00"}
    execution = Execution(id="e1", namespace="t", flow_id="f", flow_revision=1, created=T0, scratch=scratch)
    assert Phases.of(execution) == Phases(main=State.FAILED, final=State.FAILED, held=True)
    assert Phases.of(execution).into({}) == {"main": "FAILED", "final": "FAILED", "held": True}
    assert Phases().into(scratch).keys() == scratch.keys() - {"main", "final", "held"}  # a restart starts over
    notes = ExecutionNotes.of(execution)
    assert (notes.failure, notes.sla_breached, notes.extract) == ("check failed: x", ("s1",), {"o": "{{ 1 }}"})
    assert (notes.flow_attempt, notes.flow_since, len(notes.checks)) == (2, "2026-01-01T00:00:00+00:00", 1)
    assert notes.with_breach("s2", {})["sla_breached"] == ["s1", "s2"]
