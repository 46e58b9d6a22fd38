"""execution.Fail, Exit, Assert and Resume."""

from __future__ import annotations

import pytest

from legato.model.state import State
from legato.plugins.context import TaskFailed


def test_fail_without_condition_always_fails_with_the_default_message(harness):
    with pytest.raises(TaskFailed, match=r"^Task failure$") as failure:
        harness.run({"id": "f", "type": "io.kestra.core.tasks.executions.Fail"})
    assert failure.value.state == State.FAILED


def test_fail_renders_its_error_message(harness):
    ctx = harness.context(inputs={"who": "upstream"})
    with pytest.raises(TaskFailed, match=r"^broken by upstream$"):
        harness.run({"id": "f", "type": "execution.Fail", "errorMessage": "broken by {{ inputs.who }}"}, ctx)


@pytest.mark.parametrize("param", ["ok", "0", ""])
def test_fail_with_a_falsy_condition_succeeds(harness, param):
    ctx = harness.context(inputs={"param": param})
    condition = "{{ inputs.param == 'fail' }}" if param == "ok" else "{{ inputs.param }}"
    assert harness.run({"id": "f", "type": "execution.Fail", "condition": condition}, ctx) == {}
    assert harness.logs(ctx) == []


def test_fail_with_a_truthy_condition_fails_and_logs_the_message(harness):
    ctx = harness.context(inputs={"param": "fail"})
    with pytest.raises(TaskFailed, match=r"^bad input$"):
        harness.run(
            {"id": "f", "type": "execution.Fail", "condition": "{{ inputs.param == 'fail' }}", "errorMessage": "bad input"}, ctx
        )
    assert harness.messages(ctx) == [("ERROR", "bad input")]


@pytest.mark.parametrize(
    ("state", "expected"),
    [("SUCCESS", State.SUCCESS), ("WARNING", State.WARNING), ("KILLED", State.KILLED),
     ("FAILED", State.FAILED), ("CANCELED", State.CANCELLED)],
)
def test_exit_asks_the_executor_to_end_the_execution_in_its_state(harness, state, expected):
    ctx = harness.context()
    assert harness.run({"id": "e", "type": "io.kestra.plugin.core.execution.Exit", "state": state}, ctx) == {}
    assert ctx.effects.exit_state == expected


def test_exit_defaults_to_success_and_renders_expressions(harness):
    ctx = harness.context()
    harness.run({"id": "e", "type": "execution.Exit"}, ctx)
    assert ctx.effects.exit_state == State.SUCCESS
    ctx = harness.context(inputs={"s": "WARNING"})
    harness.run({"id": "e", "type": "execution.Exit", "state": "{{ inputs.s }}"}, ctx)
    assert ctx.effects.exit_state == State.WARNING
    with pytest.raises(TaskFailed, match="property 'state'"):
        harness.run({"id": "e", "type": "execution.Exit", "state": "{{ 'DONE' }}"})


def test_assert_passes_when_every_condition_is_truthy(harness):
    ctx = harness.context(inputs={"param": "ok"})
    conditions = ["{{ inputs.param == 'ok' }}", "{{ 1 + 1 == 2 }}", "yes"]
    assert harness.run({"id": "a", "type": "execution.Assert", "conditions": conditions}, ctx) == {}
    assert harness.logs(ctx) == []


def test_assert_lists_the_failed_conditions_and_appends_the_error_message(harness):
    ctx = harness.context(inputs={"param": "ok"})
    with pytest.raises(TaskFailed) as failure:
        harness.run({
            "id": "a", "type": "io.kestra.plugin.core.execution.Assert",
            "conditions": ["{{ inputs.param == 'ok' }}", "{{ 1 + 1 == 3 }}", "{{ inputs.param == 'ko' }}"],
            "errorMessage": "param was {{ inputs.param }}",
        }, ctx)
    assert str(failure.value) == (
        "2 assertions failed: `{{ 1 + 1 == 3 }}`, `{{ inputs.param == 'ko' }}`\nparam was ok"
    )
    assert harness.messages(ctx) == [
        ("ERROR", "Assertion `{{ 1 + 1 == 3 }}` failed!"),
        ("ERROR", "Assertion `{{ inputs.param == 'ko' }}` failed!"),
    ]


def test_assert_counts_a_condition_that_cannot_render_as_failed(harness):
    ctx = harness.context()
    with pytest.raises(TaskFailed, match=r"^1 assertion failed: `{{ inputs.missing }}`$"):
        harness.run({"id": "a", "type": "execution.Assert", "conditions": ["{{ inputs.missing }}", "true"]}, ctx)
    [(level, message)] = harness.messages(ctx)
    assert level == "ERROR" and message.startswith("Assertion `{{ inputs.missing }}` failed: it could not be rendered")


def _events(store, execution_id):
    seen = []

    def handler(tx, stored):
        seen.append((stored.execution_id, stored.event))

    while store.process_next_event(handler):
        pass
    return [event for eid, event in seen if eid == execution_id]


def test_resume_sends_a_resume_event_with_rendered_inputs_to_a_paused_execution(harness):
    paused = harness.execution(state=State.PAUSED, flow_id="approvals")
    ctx = harness.context(inputs={"ok": True})
    outputs = harness.run({
        "id": "r", "type": "io.kestra.plugin.core.execution.Resume", "namespace": "company.team", "flowId": "approvals",
        "executionId": paused.id, "inputs": {"approved": "{{ inputs.ok }}"},
    }, ctx)
    assert outputs == {}
    resumes = [e for e in _events(harness.store, paused.id) if e.kind == "resume_requested"]
    assert [(e.task_run_id, e.inputs) for e in resumes] == [(None, {"approved": True})]
    assert ctx.effects.set_variables == {
        "resumedExecution": {"id": paused.id, "namespace": "company.team", "flowId": "approvals"}
    }


def test_resume_refuses_an_execution_that_is_not_paused_or_does_not_exist(harness):
    running = harness.execution(state=State.RUNNING)
    with pytest.raises(TaskFailed, match=f"execution {running.id} is RUNNING, not PAUSED"):
        harness.run({"id": "r", "type": "execution.Resume", "executionId": running.id})
    with pytest.raises(TaskFailed, match="no execution found for execution id nope"):
        harness.run({"id": "r", "type": "execution.Resume", "executionId": "nope"})
    assert [e for e in _events(harness.store, running.id) if e.kind == "resume_requested"] == []


def test_resume_needs_namespace_and_flow_id_together(harness):
    with pytest.raises(TaskFailed, match="set both 'namespace' and 'flowId'"):
        harness.run({"id": "r", "type": "execution.Resume", "namespace": "company", "executionId": "x"})
    with pytest.raises(TaskFailed, match="'executionId' is required"):
        harness.run({"id": "r", "type": "execution.Resume", "namespace": "company", "flowId": "f"})


def test_resume_without_execution_id_targets_the_current_execution(harness):
    current = harness.execution(state=State.PAUSED)
    ctx = harness.context(execution=current)
    harness.run({"id": "r", "type": "execution.Resume"}, ctx)
    assert [e.kind for e in _events(harness.store, current.id)].count("resume_requested") == 1
