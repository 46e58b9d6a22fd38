"""WorkerContext: rendering, logs, the KV view and sleeping, over the real store and expression engine."""

from __future__ import annotations

import asyncio

import pytest

from legato.model.state import State
from legato.plugins.context import TaskFailed


def test_render_keeps_the_type_of_whole_expressions_and_renders_nested_values(harness):
    ctx = harness.context(inputs={"n": 3, "items": [1, 2]})
    assert ctx.render("{{ inputs.n }}") == 3
    assert ctx.render({"a": ["{{ inputs.items }}", "x{{ inputs.n }}"], "b": True}) == {"a": [[1, 2], "x3"], "b": True}


def test_render_string_gives_text(harness):
    ctx = harness.context(inputs={"n": 3, "flag": False})
    assert ctx.render_string("{{ inputs.n }}") == "3"
    assert ctx.render_string(True) == "true"
    assert ctx.render_string(None) == ""
    assert ctx.render_string(["{{ inputs.flag }}"]) == "[false]"


def test_an_expression_error_becomes_a_task_failure(harness):
    ctx = harness.context()
    with pytest.raises(TaskFailed):
        ctx.render("{{ inputs.missing.deeper }}")
    with pytest.raises(TaskFailed):
        ctx.render_string("{{ unclosed")


def test_logger_buffers_until_flush_and_filters_by_level(harness):
    ctx = harness.context(log_level="DEBUG")
    ctx.logger.trace("t")
    ctx.logger.debug("d")
    ctx.logger.info("i")
    ctx.logger.warn("w")
    ctx.logger.error("e")
    assert harness.logs(ctx) == []
    ctx.flush()
    assert harness.messages(ctx) == [("DEBUG", "d"), ("INFO", "i"), ("WARN", "w"), ("ERROR", "e")]
    ctx.logger.info("later")
    assert [r.message for r in ctx.drain()] == ["later"]
    ctx.flush()
    assert len(harness.logs(ctx)) == 4


def test_logs_are_masked(harness):
    ctx = harness.context(secrets={"TOKEN": "s3cr3t-value"})
    ctx.logger.info("token is s3cr3t-value")
    ctx.flush()
    assert harness.messages(ctx) == [("INFO", "token is ******")]


def test_kv_defaults_to_the_flow_namespace_and_uses_the_clock_for_ttl(harness):
    ctx = harness.context()
    assert ctx.kv.set("k", 1, type="NUMBER", ttl_seconds=60)
    assert ctx.kv.get("k") == ("NUMBER", 1)
    assert ctx.kv.get("k", namespace="elsewhere") is None
    assert ctx.kv.keys() == ["k"]
    harness.clock.advance(seconds=61)
    assert ctx.kv.get("k") is None
    assert ctx.kv.purge(expired_only=True) == 1


def test_sleep_returns_after_the_timeout_and_raises_killed_when_cancelled(harness):
    cancelled = asyncio.Event()
    ctx = harness.context(cancelled=cancelled)
    asyncio.run(ctx.sleep(0.01))
    cancelled.set()
    with pytest.raises(TaskFailed) as failure:
        asyncio.run(ctx.sleep(10))
    assert failure.value.state == State.KILLED


def test_secret_placeholders_are_revealed_for_the_task_and_masked_in_its_logs(harness):
    ctx = harness.context(secrets={"TOKEN": "s3cr3t-value"})
    assert ctx.render({"auth": "Bearer {{ secrets.TOKEN }}"}) == {"auth": "Bearer s3cr3t-value"}
    harness.run({"id": "l", "type": "log.Log", "message": "using {{ secrets.TOKEN }}"}, ctx)
    assert harness.messages(ctx) == [("INFO", "using ******")]
