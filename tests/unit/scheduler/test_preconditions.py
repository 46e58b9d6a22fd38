"""Flow trigger preconditions: which ends count, the windows they must line up in, and the reset."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from legato.expressions import Renderer
from legato.model.execution import Execution, Label
from legato.model.loader import load_flow
from legato.model.state import State
from legato.model.triggers import FlowTrigger, TimeWindow
from legato.plugins import registry, trigger_registry
from legato.scheduler import conditions as cond
from legato.scheduler import preconditions as pre
from legato.store.ports import PreconditionState

DAY = datetime(2025, 3, 1, tzinfo=UTC)


def _at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def _trigger(yaml: str) -> FlowTrigger:
    source = f"id: down\nnamespace: t\ntasks:\n  - id: log\n    type: log.Log\n    message: hi\ntriggers:\n{yaml}"
    flow = load_flow(source, source="<test>", registry=registry(), triggers=trigger_registry())
    trigger = (flow.triggers or [])[0]
    assert isinstance(trigger, FlowTrigger)
    return trigger


def _execution(flow_id: str = "a", state: State = State.SUCCESS, namespace: str = "up", **fields: Any) -> Execution:
    return Execution(id=f"x-{flow_id}", namespace=namespace, flow_id=flow_id, flow_revision=1, state=state,
                     created=DAY, **fields)


def _ctx(execution: Execution) -> cond.ConditionContext:
    variables = {"trigger": {"executionId": execution.id, "outputs": execution.outputs or {}, "state": execution.state.value}}
    return cond.ConditionContext(variables=variables, renderer=Renderer(), execution=execution)


def _matched(plan: pre.Plan, execution: Execution) -> list[str]:
    return [i.id for i in plan.items if i.matches(execution, _ctx(execution))]


TWO_FLOWS = """  - id: both
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: pair
      flows:
        - {namespace: up, flowId: a}
        - {namespace: up, flowId: b, states: [SUCCESS, WARNING], labels: {team: data}}
"""


# windows ----------------------------------------------------------------------------------------------
def test_the_default_window_is_the_utc_day() -> None:
    assert pre.Window().bounds(_at(13.5)) == (DAY, DAY + timedelta(days=1))


def test_duration_windows_follow_each_other_from_midnight_plus_advance() -> None:
    window = pre.Window(length=timedelta(hours=6), advance=timedelta(hours=1))
    assert window.bounds(_at(13.5)) == (_at(13), _at(19))
    assert window.bounds(_at(0.5)) == (_at(-5), _at(1))  # before the advance: the previous day's last window


def test_daily_deadline_and_daily_window_count_only_within_their_hours() -> None:
    deadline = pre.Window.of(TimeWindow(type="DAILY_TIME_DEADLINE", deadline=time(9)))
    assert deadline.bounds(_at(8)) == (DAY, _at(9))
    assert deadline.bounds(_at(10)) is None
    daily = pre.Window.of(TimeWindow(type="DAILY_TIME_WINDOW", startTime=time(8), endTime=time(12)))
    assert daily.bounds(_at(7.9)) is None
    assert daily.bounds(_at(11)) == (_at(8), _at(12))


def test_a_daily_window_needs_its_times() -> None:
    with pytest.raises(ValueError, match="needs `deadline`"):
        TimeWindow(type="DAILY_TIME_DEADLINE")


# matching -----------------------------------------------------------------------------------------------
def test_upstream_flows_match_on_flow_state_and_labels() -> None:
    plan = pre.plan_of(_trigger(TWO_FLOWS))
    assert plan is not None and [i.id for i in plan.items] == ["flows[0]", "flows[1]"]
    assert _matched(plan, _execution("a")) == ["flows[0]"]
    assert _matched(plan, _execution("a", State.FAILED)) == []  # default states: SUCCESS only
    assert _matched(plan, _execution("b", State.WARNING)) == []  # label missing
    labelled = _execution("b", State.WARNING, labels=(Label(key="team", value="data"),))
    assert _matched(plan, labelled) == ["flows[1]"]


def test_where_filters_combine_with_their_operand() -> None:
    plan = pre.plan_of(_trigger("""  - id: alerts
    type: trigger.Flow
    states: [FAILED, WARNING]
    preconditions:
      where:
        - id: company
          filters:
            - {field: NAMESPACE, type: STARTS_WITH, value: company}
            - {field: STATE, type: IN, values: [FAILED]}
        - id: outputs
          operand: OR
          filters:
            - {field: EXPRESSION, type: IS_TRUE, value: "{{ trigger.outputs.big ?? false }}"}
            - {field: FLOW_ID, type: REGEX, value: "load_.*"}
"""))
    assert plan is not None
    assert _matched(plan, _execution("x", State.FAILED, namespace="company.team")) == ["company"]
    assert _matched(plan, _execution("x", State.WARNING, namespace="company.team")) == []
    assert _matched(plan, _execution("load_1", namespace="other")) == ["outputs"]
    assert _matched(plan, _execution("x", outputs={"big": True})) == ["outputs"]


@pytest.mark.parametrize(("kind", "subject", "expected", "values", "result"), [
    ("EQUAL_TO", "a", "a", None, True), ("NOT_EQUAL_TO", "a", "a", None, False),
    ("NOT_IN", "a", None, ["b"], True), ("ENDS_WITH", "a.b", "b", None, True),
    ("CONTAINS", "abc", "b", None, True), ("IS_FALSE", "false", None, None, True),
    ("IS_NULL", None, None, None, True), ("IS_NOT_NULL", "x", None, None, True),
])
def test_filter_comparisons(kind: str, subject: Any, expected: Any, values: Any, result: bool) -> None:
    assert pre.compare(kind, subject, expected, values) is result


def test_multiple_condition_is_the_older_form_of_preconditions() -> None:
    plan = pre.plan_of(_trigger("""  - id: multiple
    type: io.kestra.core.models.triggers.types.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [SUCCESS]
      - id: pair
        type: io.kestra.plugin.core.condition.MultipleCondition
        window: PT12H
        conditions:
          flow_a: {type: io.kestra.plugin.core.condition.ExecutionFlow, namespace: up, flowId: a}
          flow_b: {type: io.kestra.plugin.core.condition.ExecutionFlow, namespace: up, flowId: b}
"""))
    assert plan is not None and plan.window.length == timedelta(hours=12)
    assert _matched(plan, _execution("b")) == ["pair.flow_b"]


def test_kestra_2_depends_on_with_all_or_any() -> None:
    trigger = _trigger("""  - id: deps
    type: trigger.Flow
    dependsOn:
      - {namespace: up, flowId: a}
      - {namespace: up, flowId: b}
    mode: ANY
    window: {type: SLIDING_WINDOW, window: PT1H}
""")
    plan = pre.plan_of(trigger)
    assert plan is not None and not plan.every and plan.window.type == "SLIDING_WINDOW"
    assert pre.advance(plan, PreconditionState(), ["dependsOn[1]"], {}, _at(1)).fire


def test_preconditions_and_depends_on_do_not_mix() -> None:
    with pytest.raises(Exception, match="either preconditions"):
        _trigger("""  - id: deps
    type: trigger.Flow
    dependsOn: [{namespace: up, flowId: a}]
    preconditions: {flows: [{namespace: up, flowId: b}]}
""")


# advancing ------------------------------------------------------------------------------------------------
def test_all_items_met_in_one_window_fire_then_reset() -> None:
    plan = pre.plan_of(_trigger(TWO_FLOWS))
    assert plan is not None
    first = pre.advance(plan, PreconditionState(), ["flows[0]"], {"executionId": "e1"}, _at(1))
    assert not first.fire and set(first.state.met) == {"flows[0]"}
    assert first.state.met["flows[0]"]["executionId"] == "e1"
    again = pre.advance(plan, first.state, ["flows[0]"], {"executionId": "e2"}, _at(2))
    assert not again.fire  # the same upstream twice is still one of two
    done = pre.advance(plan, again.state, ["flows[1]"], {"executionId": "e3"}, _at(3))
    assert done.fire and done.state.met == {}  # resetOnSuccess
    assert not pre.advance(plan, done.state, ["flows[1]"], {}, _at(4)).fire


def test_without_reset_every_later_end_fires_while_the_window_lasts() -> None:
    plan = pre.plan_of(_trigger(TWO_FLOWS + "      resetOnSuccess: false\n"))
    assert plan is not None and not plan.reset_on_success
    state = pre.advance(plan, PreconditionState(), ["flows[0]"], {}, _at(1)).state
    state = pre.advance(plan, state, ["flows[1]"], {}, _at(2)).state
    assert pre.advance(plan, state, ["flows[0]"], {}, _at(3)).fire
    assert not pre.advance(plan, state, ["flows[0]"], {}, _at(25)).fire  # next day: a new window


def test_a_new_window_forgets_what_the_last_one_met() -> None:
    plan = pre.plan_of(_trigger(TWO_FLOWS))
    assert plan is not None
    state = pre.advance(plan, PreconditionState(), ["flows[0]"], {}, _at(23)).state
    assert not pre.advance(plan, state, ["flows[1]"], {}, _at(25)).fire


def test_a_sliding_window_drops_items_met_too_long_ago() -> None:
    plan = pre.plan_of(_trigger(TWO_FLOWS + "      timeWindow: {type: SLIDING_WINDOW, window: PT1H}\n"))
    assert plan is not None
    state = pre.advance(plan, PreconditionState(), ["flows[0]"], {}, _at(1)).state
    assert not pre.advance(plan, state, ["flows[1]"], {}, _at(2.5)).fire  # flows[0] is 90 min old
    assert pre.advance(plan, state, ["flows[1]"], {}, _at(1.5)).fire


def test_ends_past_a_daily_deadline_count_for_nothing() -> None:
    plan = pre.plan_of(_trigger(TWO_FLOWS + "      timeWindow: {type: DAILY_TIME_DEADLINE, deadline: '09:00:00'}\n"))
    assert plan is not None
    state = pre.advance(plan, PreconditionState(), ["flows[0]"], {}, _at(8)).state
    late = pre.advance(plan, state, ["flows[1]"], {}, _at(10))
    assert not late.fire and not late.changed
    assert pre.advance(plan, state, ["flows[1]"], {}, _at(8.5)).fire
