"""The conditions a Flow trigger puts on the upstream execution that ended."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from legato.expressions import Renderer
from legato.model.conditions import CONDITIONS, Condition
from legato.model.execution import Attempt, Execution, Label, TaskRun
from legato.model.state import State
from legato.scheduler import conditions as cond
from legato.scheduler.flow_triggers import trigger_variables

NOW = datetime(2025, 3, 1, tzinfo=UTC)


def _condition(**fields: Any) -> Condition:
    cls = CONDITIONS.lookup(fields["type"])
    assert cls is not None
    condition: Condition = cls.model_validate(fields)
    return condition


def _upstream(**fields: Any) -> Execution:
    base: dict[str, Any] = {"id": "up1", "namespace": "company.team.sales", "flow_id": "extract", "flow_revision": 3,
                            "state": State.SUCCESS, "created": NOW, "labels": (Label(key="team", value="data"),),
                            "outputs": {"rows": 12}}
    return Execution(**{**base, **fields})


def _holds(condition: Condition, execution: Execution, runs: tuple[TaskRun, ...] = ()) -> bool:
    ctx = cond.ConditionContext(variables={"trigger": trigger_variables(execution)}, renderer=Renderer(),
                                execution=execution, task_runs=lambda: runs)
    return cond.holds(condition, ctx)


def test_trigger_variables_describe_the_upstream_execution() -> None:
    assert trigger_variables(_upstream()) == {
        "executionId": "up1", "namespace": "company.team.sales", "flowId": "extract", "flowRevision": 3,
        "state": "SUCCESS", "outputs": {"rows": 12}, "labels": {"team": "data"}, "executionLabels": {"team": "data"},
    }


@pytest.mark.parametrize(("fields", "expected"), [
    ({"type": "io.kestra.plugin.core.condition.ExecutionFlow", "namespace": "company.team.sales", "flowId": "extract"}, True),
    ({"type": "io.kestra.core.models.conditions.types.ExecutionFlowCondition", "namespace": "company.team", "flowId": "extract"}, False),
    ({"type": "io.kestra.plugin.core.condition.ExecutionNamespace", "namespace": "company.team.sales"}, True),
    ({"type": "io.kestra.plugin.core.condition.ExecutionNamespace", "namespace": "company.team"}, False),
    ({"type": "io.kestra.plugin.core.condition.ExecutionNamespace", "namespace": "company", "comparison": "PREFIX"}, True),
    ({"type": "io.kestra.plugin.core.condition.ExecutionNamespace", "namespace": "company", "prefix": True}, True),
    ({"type": "io.kestra.plugin.core.condition.ExecutionNamespace", "namespace": "sales", "comparison": "SUFFIX"}, True),
    ({"type": "io.kestra.plugin.core.condition.ExecutionStatus", "in": ["SUCCESS", "WARNING"]}, True),
    ({"type": "io.kestra.plugin.core.condition.ExecutionStatus", "notIn": ["SUCCESS"]}, False),
    ({"type": "io.kestra.plugin.core.condition.ExecutionLabels", "labels": {"team": "data"}}, True),
    ({"type": "io.kestra.plugin.core.condition.ExecutionLabels", "labels": [{"key": "team", "value": "ops"}]}, False),
    ({"type": "io.kestra.plugin.core.condition.ExecutionOutputs", "expression": "{{ trigger.outputs.rows > 10 }}"}, True),
    ({"type": "io.kestra.plugin.core.condition.ExecutionOutputs", "expression": "{{ trigger.outputs.rows > 20 }}"}, False),
    ({"type": "io.kestra.plugin.core.condition.Expression", "expression": "{{ trigger.flowId == 'extract' }}"}, True),
    ({"type": "io.kestra.plugin.core.condition.Not",
      "conditions": [{"type": "io.kestra.plugin.core.condition.ExecutionStatus", "in": ["FAILED"]}]}, True),
])
def test_execution_conditions(fields: dict[str, Any], expected: bool) -> None:
    assert _holds(_condition(**fields), _upstream()) is expected


def test_execution_outputs_never_hold_without_outputs() -> None:
    condition = _condition(type="io.kestra.plugin.core.condition.ExecutionOutputs", expression="{{ true }}")
    assert not _holds(condition, _upstream(outputs=None))


def test_has_retry_attempt_looks_at_the_attempts_before_the_last() -> None:
    condition = _condition(type="io.kestra.plugin.core.condition.HasRetryAttempt", **{"in": ["FAILED"]})
    retried = TaskRun(id="r1", execution_id="up1", task_id="t", state=State.SUCCESS,
                      attempts=(Attempt(state=State.FAILED), Attempt(state=State.SUCCESS)))
    once = TaskRun(id="r2", execution_id="up1", task_id="u", state=State.SUCCESS, attempts=(Attempt(state=State.SUCCESS),))
    assert _holds(condition, _upstream(), (retried, once))
    assert not _holds(condition, _upstream(), (once,))


def test_a_failing_expression_is_a_condition_error() -> None:
    condition = _condition(type="io.kestra.plugin.core.condition.Expression", expression="{{ trigger.nothing.here }}")
    with pytest.raises(cond.ConditionError, match="cannot evaluate"):
        _holds(condition, _upstream())
