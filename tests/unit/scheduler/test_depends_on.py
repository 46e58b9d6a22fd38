"""Kestra 2.0 dependsOn plans: entries match by namespace, flow, states (every terminal state and PAUSED by
default), labels and `when`; windows from deadline/from-to/every/lookback; AT_LEAST; fireOnce; the default
re-fires on every matching end."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from legato.expressions import Renderer
from legato.model.execution import Execution, Label
from legato.model.loader import load_flow
from legato.model.state import State
from legato.model.triggers import FlowTrigger
from legato.plugins import registry, trigger_registry
from legato.scheduler import conditions as cond
from legato.scheduler import preconditions as pre
from legato.store.ports import PreconditionState

DAY = datetime(2025, 3, 1, tzinfo=UTC)


def plan(spec: str) -> pre.Plan:
    source = ("id: down\nnamespace: t\ntasks:\n  - {id: log, type: log.Log, message: hi}\ntriggers:\n"
              "  - id: t\n    type: io.kestra.plugin.core.trigger.Flow\n" + spec)
    trigger = (load_flow(source, registry=registry(), triggers=trigger_registry()).triggers or [])[0]
    assert isinstance(trigger, FlowTrigger)
    result = pre.plan_of(trigger)
    assert result is not None
    return result


def matched(p: pre.Plan, execution: Execution) -> list[str]:
    ctx = cond.ConditionContext(variables={"trigger": {}}, renderer=Renderer(), execution=execution)
    return [item.id for item in p.items if item.matches(execution, ctx)]


def execution(flow_id: str, state: State = State.SUCCESS, **fields: object) -> Execution:
    return Execution(id=f"x-{flow_id}", namespace="up", flow_id=flow_id, flow_revision=1, state=state,
                     created=DAY, **fields)  # type: ignore[arg-type]


def test_entries_match_by_flow_states_labels_and_when() -> None:
    p = plan("    dependsOn:\n      - {namespace: up, flowId: a}\n      - {flowId: b, labels: {env: prod}}\n"
             "      - {when: \"{{ namespace | startsWith('up') and outputs.n > 1 }}\"}\n")
    assert matched(p, execution("a", State.FAILED)) == ["up/a"]  # any terminal state by default
    assert matched(p, execution("a", State.PAUSED)) == ["up/a"]
    assert matched(p, execution("b")) == []
    assert matched(p, execution("b", labels=(Label(key="env", value="prod"),))) == ["*/b"]
    assert matched(p, execution("c", outputs={"n": 2})) == ["dependsOn[2]"]
    assert matched(p, execution("c", outputs={"n": 0})) == []


def test_windows() -> None:
    assert plan("    dependsOn: [{flowId: a}]\n    window: {deadline: '09:00:00+01:00'}\n").window.end_time == time(8)
    ranged = plan("    dependsOn: [{flowId: a}]\n    window: {from: '06:00:00', to: '12:00:00'}\n").window
    assert (ranged.type, ranged.start_time, ranged.end_time) == ("DAILY_TIME_WINDOW", time(6), time(12))
    every = plan("    dependsOn: [{flowId: a}]\n    window: {every: PT6H, offset: PT1H}\n").window
    assert (every.length, every.advance) == (timedelta(hours=6), timedelta(hours=1))
    assert plan("    dependsOn: [{flowId: a}]\n    window: {lookback: PT1H}\n").window.type == "SLIDING_WINDOW"


def test_all_refires_on_each_end_by_default_and_fire_once_does_not() -> None:
    p = plan("    dependsOn: [{flowId: a}, {flowId: b}]\n")
    first = pre.advance(p, PreconditionState(), ["*/a"], {"executionId": "1"}, DAY + timedelta(hours=1))
    assert not first.fire
    both = pre.advance(p, first.state, ["*/b"], {"executionId": "2"}, DAY + timedelta(hours=2))
    assert both.fire and set(both.met or {}) == {"*/a", "*/b"}
    again = pre.advance(p, both.state, ["*/a"], {"executionId": "3"}, DAY + timedelta(hours=3))
    assert again.fire  # fireOnce false: every time conditions are met in the window
    once = plan("    dependsOn: [{flowId: a}, {flowId: b}]\n    window: {every: P1D, fireOnce: true}\n")
    state = pre.advance(once, PreconditionState(), ["*/a", "*/b"], {}, DAY + timedelta(hours=1))
    assert state.fire
    assert not pre.advance(once, state.state, ["*/a", "*/b"], {}, DAY + timedelta(hours=2)).fire
    assert pre.advance(once, state.state, ["*/a", "*/b"], {}, DAY + timedelta(days=1, hours=2)).fire  # next window


def test_at_least() -> None:
    p = plan("    dependsOn: [{flowId: a}, {flowId: b}, {flowId: c}]\n    mode: AT_LEAST\n    minSatisfied: 2\n")
    one = pre.advance(p, PreconditionState(), ["*/a"], {}, DAY)
    assert not one.fire
    assert pre.advance(p, one.state, ["*/c"], {}, DAY + timedelta(minutes=1)).fire
