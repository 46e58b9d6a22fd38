"""flow.Sleep and trigger.Toggle."""

from __future__ import annotations

import asyncio
import time

import pytest
from pydantic import ValidationError

from legato.model.state import State
from legato.model.task import TASKS
from legato.plugins.context import TaskFailed


def test_sleep_waits_for_the_duration(harness):
    ctx = harness.context(inputs={"d": "PT0.05S"})
    started = time.monotonic()
    assert harness.run({"id": "s", "type": "io.kestra.plugin.core.flow.Sleep", "duration": "{{ inputs.d }}"}, ctx) == {}
    assert time.monotonic() - started >= 0.05


def test_sleep_ends_killed_when_the_task_is_cancelled(harness):
    cancelled = asyncio.Event()
    ctx = harness.context(cancelled=cancelled)
    task = harness.task({"id": "s", "type": "flow.Sleep", "duration": "PT1H"})

    async def kill_soon():
        asyncio.get_running_loop().call_later(0.02, cancelled.set)
        await task.run(ctx)

    started = time.monotonic()
    with pytest.raises(TaskFailed, match="killed") as failure:
        asyncio.run(kill_soon())
    assert failure.value.state == State.KILLED
    assert time.monotonic() - started < 5


def test_sleep_rejects_a_bad_duration():
    with pytest.raises(ValidationError):
        TASKS.lookup("flow.Sleep").model_validate({"id": "s", "type": "flow.Sleep", "duration": "5 seconds"})


def test_sleep_fails_when_the_rendered_duration_is_not_iso(harness):
    ctx = harness.context(inputs={"d": "soon"})
    with pytest.raises(TaskFailed, match="property 'duration'"):
        harness.run({"id": "s", "type": "flow.Sleep", "duration": "{{ inputs.d }}"}, ctx)


def test_toggle_reports_that_trigger_state_is_not_stored_yet(harness):
    with pytest.raises(TaskFailed, match="trigger state storage is not available yet"):
        harness.run({"id": "t", "type": "io.kestra.core.tasks.trigger.Toggle", "trigger": "schedule", "enabled": True})
