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


SCHEDULED = """\
id: {flow_id}
namespace: {namespace}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
triggers:
  - id: schedule
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 * * * *"
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 2 * * *"
"""


def save_scheduled(harness, namespace="company.team", flow_id="orders"):
    source = SCHEDULED.format(namespace=namespace, flow_id=flow_id)
    harness.store.save_flow(namespace, flow_id, source, disabled=False, now=harness.clock())


def test_toggle_without_enabled_disables_a_trigger_of_this_flow(harness, clock):
    save_scheduled(harness)
    assert harness.run({"id": "t", "type": "io.kestra.plugin.core.trigger.Toggle", "trigger": "schedule"}) == {"enabled": False}
    state = harness.store.get_trigger_state("company.team", "orders", "schedule")
    assert (state.disabled, state.updated) == (True, clock.now)
    assert harness.store.get_trigger_state("company.team", "orders", "nightly") is None  # the other one untouched


def test_toggle_enables_again_and_is_idempotent(harness, clock):
    save_scheduled(harness)
    toggle = {"id": "t", "type": "io.kestra.core.tasks.trigger.Toggle", "trigger": "schedule", "enabled": False}
    harness.run(toggle)
    clock.advance(seconds=5)
    assert harness.run({**toggle, "enabled": True}) == {"enabled": True}
    assert harness.run({**toggle, "enabled": True}) == {"enabled": True}
    state = harness.store.get_trigger_state("company.team", "orders", "schedule")
    assert (state.disabled, state.updated) == (False, clock.now)


def test_toggle_renders_the_target_flow_trigger_and_flag(harness):
    save_scheduled(harness, namespace="company.other", flow_id="reports")
    ctx = harness.context(inputs={"ns": "company.other", "flow": "reports", "on": False})
    out = harness.run({
        "id": "t", "type": "trigger.Toggle", "namespace": "{{ inputs.ns }}", "flowId": "{{ inputs.flow }}",
        "trigger": "{{ 'night' ~ 'ly' }}", "enabled": "{{ inputs.on }}",
    }, ctx)
    assert out == {"enabled": False}
    assert harness.store.get_trigger_state("company.other", "reports", "nightly").disabled is True
    assert harness.store.get_trigger_state("company.team", "orders", "nightly") is None


def test_toggle_fails_when_the_flow_does_not_exist(harness):
    with pytest.raises(TaskFailed, match=r"^flow company.team.missing not found, so its trigger 'schedule' cannot be toggled$"):
        harness.run({"id": "t", "type": "trigger.Toggle", "flowId": "missing", "trigger": "schedule", "enabled": True})
    assert harness.store.trigger_states() == []


def test_toggle_fails_when_the_flow_has_no_such_trigger(harness):
    save_scheduled(harness)
    with pytest.raises(TaskFailed) as failure:
        harness.run({"id": "t", "type": "trigger.Toggle", "trigger": "schedul", "enabled": True})
    assert str(failure.value) == (
        "flow company.team.orders has no trigger 'schedul' (did you mean 'schedule'?); its triggers: schedule, nightly"
    )
    harness.save_flow(flow_id="plain")  # a flow without triggers
    with pytest.raises(TaskFailed, match=r"has no trigger 'schedule'; it has no triggers$"):
        harness.run({"id": "t", "type": "trigger.Toggle", "flowId": "plain", "trigger": "schedule", "enabled": True})
    assert harness.store.trigger_states() == []


def test_toggle_fails_on_a_flag_that_is_not_a_boolean(harness):
    save_scheduled(harness)
    with pytest.raises(TaskFailed, match="property 'enabled'"):
        harness.run({"id": "t", "type": "trigger.Toggle", "trigger": "schedule", "enabled": "{{ 'sometimes' }}"})
    assert harness.store.trigger_states() == []
