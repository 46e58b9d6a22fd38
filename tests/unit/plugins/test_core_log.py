"""log.Log, debug.Return, debug.Echo and output.OutputValues."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from legato.model.task import TASKS
from legato.plugins.context import TaskFailed


def test_log_renders_the_message_and_stores_it_at_info(harness):
    ctx = harness.context(inputs={"name": "Ada"}, task_id="hello")
    outputs = harness.run({"id": "hello", "type": "io.kestra.plugin.core.log.Log", "message": "Hello {{ inputs.name }}"}, ctx)
    assert outputs == {}
    [record] = harness.logs(ctx)
    assert (record.level, record.message) == ("INFO", "Hello Ada")
    assert (record.task_run_id, record.task_id, record.attempt) == (ctx.task_run.id, "hello", 0)  # from 0, as Kestra
    assert record.timestamp == harness.clock()


def test_log_writes_each_message_of_a_list_at_the_given_level(harness):
    ctx = harness.context()
    harness.run("""
id: many
type: io.kestra.core.tasks.log.Log
level: DEBUG
message:
  - "{{ task.id }} one"
  - two
""", ctx)
    assert harness.messages(ctx) == [("DEBUG", "task one"), ("DEBUG", "two")]


def test_log_level_may_be_an_expression(harness):
    ctx = harness.context(inputs={"level": "ERROR"})
    harness.run({"id": "l", "type": "log.Log", "level": "{{ inputs.level }}", "message": "boom"}, ctx)
    assert harness.messages(ctx) == [("ERROR", "boom")]


def test_log_level_expression_rendering_to_an_unknown_level_fails(harness):
    ctx = harness.context(inputs={"level": "LOUD"})
    with pytest.raises(TaskFailed, match="property 'level'"):
        harness.run({"id": "l", "type": "log.Log", "level": "{{ inputs.level }}", "message": "x"}, ctx)


def test_log_rejects_an_unknown_literal_level_and_unknown_properties():
    cls = TASKS.lookup("log.Log")
    with pytest.raises(ValidationError):
        cls.model_validate({"id": "l", "type": "log.Log", "level": "LOUD", "message": "x"})
    with pytest.raises(ValidationError):
        cls.model_validate({"id": "l", "type": "log.Log", "mesage": "x"})


def test_task_log_level_drops_records_below_it(harness):
    ctx = harness.context(log_level="WARN")
    harness.run({"id": "l", "type": "log.Log", "level": "INFO", "message": "quiet"}, ctx)
    harness.run({"id": "l", "type": "log.Log", "level": "WARN", "message": "loud"}, ctx)
    assert harness.messages(ctx) == [("WARN", "loud")]


def test_return_renders_format_into_value(harness):
    ctx = harness.context(inputs={"n": 2})
    outputs = harness.run({"id": "r", "type": "io.kestra.core.tasks.debugs.Return", "format": "{{ inputs.n * 21 }}"}, ctx)
    assert outputs == {"value": "42"}


def test_echo_logs_the_rendered_format(harness):
    ctx = harness.context(task_id="echo")
    harness.run({"id": "echo", "type": "io.kestra.plugin.core.debug.Echo", "level": "WARN", "format": "{{ task.id }}!"}, ctx)
    assert harness.messages(ctx) == [("WARN", "echo!")]


def test_output_values_keeps_the_type_of_whole_expressions(harness):
    ctx = harness.context(inputs={"count": 3, "tags": ["a", "b"]})
    outputs = harness.run("""
id: out
type: io.kestra.plugin.core.output.OutputValues
values:
  count: "{{ inputs.count }}"
  text: "n={{ inputs.count }}"
  nested:
    tags: "{{ inputs.tags }}"
  literal: 7
""", ctx)
    assert outputs == {"values": {"count": 3, "text": "n=3", "nested": {"tags": ["a", "b"]}, "literal": 7}}
