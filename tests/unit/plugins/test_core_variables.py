"""execution.Labels, SetVariables and UnsetVariables: the changes they hand to the executor."""

from __future__ import annotations

import pytest

from legato.plugins.context import TaskFailed


def test_labels_from_a_map_are_rendered(harness):
    ctx = harness.context(inputs={"customer": "c-42", "meta": {"tier": "gold"}})
    harness.run({
        "id": "l", "type": "io.kestra.plugin.core.execution.Labels",
        "labels": {"customerId": "{{ inputs.customer }}", "{{ 'te' ~ 'am' }}": "data", "meta": "{{ inputs.meta }}", "n": 3},
    }, ctx)
    assert ctx.effects.labels == {"customerId": "c-42", "team": "data", "meta": '{"tier":"gold"}', "n": "3"}


def test_labels_from_a_list_of_key_values(harness):
    ctx = harness.context(inputs={"order": 7})
    harness.run("""
id: l
type: io.kestra.core.tasks.executions.Labels
labels:
  - key: order_id
    value: "{{ inputs.order }}"
  - key: flag
    value: true
""", ctx)
    assert ctx.effects.labels == {"order_id": "7", "flag": "true"}


def test_labels_from_an_expression_rendering_json(harness):
    ctx = harness.context(inputs={"labels": {"a": "1", "b": 2}})
    harness.run({"id": "l", "type": "execution.Labels", "labels": "{{ inputs.labels | toJson }}"}, ctx)
    assert ctx.effects.labels == {"a": "1", "b": "2"}
    with pytest.raises(TaskFailed, match="must render to a JSON object"):
        harness.run({"id": "l", "type": "execution.Labels", "labels": "not json"})


def test_labels_refuse_system_labels(harness):
    ctx = harness.context()
    with pytest.raises(TaskFailed, match=r"system labels can only be set by Legato itself, offending label: system.correlationId=x"):
        harness.run({"id": "l", "type": "execution.Labels", "labels": {"system.correlationId": "x"}}, ctx)
    assert ctx.effects.labels is None


def test_set_variables_renders_the_map(harness):
    ctx = harness.context(inputs={"name": "Loïc"})
    harness.run("""
id: vars
type: io.kestra.plugin.core.execution.SetVariables
variables:
  message: Hello
  name: "{{ inputs.name }}"
  nested:
    count: "{{ 2 + 3 }}"
""", ctx)
    assert ctx.effects.set_variables == {"message": "Hello", "name": "Loïc", "nested": {"count": 5}}


def test_set_variables_without_overwrite_refuses_existing_ones(harness):
    execution = harness.execution(variables={"name": "World", "other": 1})
    ctx = harness.context(execution=execution)
    with pytest.raises(TaskFailed, match=r"^`overwrite` is set to false and the following variables already exist: name$"):
        harness.run({"id": "v", "type": "execution.SetVariables", "overwrite": False, "variables": {"name": "x", "new": 1}}, ctx)
    assert ctx.effects.set_variables is None
    harness.run({"id": "v", "type": "execution.SetVariables", "overwrite": "{{ true }}", "variables": {"name": "x"}}, ctx)
    assert ctx.effects.set_variables == {"name": "x"}


def test_unset_variables_lists_the_names(harness):
    execution = harness.execution(variables={"message": "hi", "creds": {"token": "t", "user": "u"}})
    ctx = harness.context(execution=execution)
    harness.run({"id": "u", "type": "io.kestra.plugin.core.execution.UnsetVariables", "variables": ["message", "creds.token"]}, ctx)
    assert ctx.effects.unset_variables == ["message", "creds.token"]


def test_unset_variables_fails_on_missing_ones_unless_ignored(harness):
    execution = harness.execution(variables={"message": "hi"})
    ctx = harness.context(execution=execution)
    with pytest.raises(TaskFailed, match=r"these variables do not exist .*: nope, message.deep"):
        harness.run({"id": "u", "type": "execution.UnsetVariables", "variables": ["message", "nope", "message.deep"]}, ctx)
    harness.run({"id": "u", "type": "execution.UnsetVariables", "variables": ["nope"], "ignoreMissing": True}, ctx)
    assert ctx.effects.unset_variables == ["nope"]
