"""Kestra 2.0's model additions: Loop's properties, Flow trigger dependsOn/window/mode/onMiss, checks `when`,
workerSelector; each refused with a clear message when misused."""

from __future__ import annotations

import pytest

from legato import plugins
from legato.model.errors import FlowValidationError
from legato.model.flowable import Loop
from legato.model.loader import load_flow
from legato.model.task import WorkerSelector, worker_keys
from legato.model.triggers import DependsOnWindow, FlowTrigger, TimeWindow


def flow(body: str) -> object:
    return load_flow("id: f\nnamespace: t\n" + body, registry=plugins.registry(), triggers=plugins.trigger_registry())


TASKS = "tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: m\n"


def test_loop_defaults_are_kestra_2s() -> None:
    parsed = flow("tasks:\n  - id: l\n    type: io.kestra.plugin.core.flow.Loop\n    values: [1]\n    tasks:\n"
                  "      - {id: x, type: io.kestra.plugin.core.log.Log, message: m}\n")
    loop = parsed.tasks[0]  # type: ignore[attr-defined]
    assert isinstance(loop, Loop)
    assert (loop.concurrencyLimit, loop.transmitFailed, loop.fetchType, loop.outputs) == (0, True, "AUTO", None)


def test_loop_rejects_an_unknown_fetch_type() -> None:
    with pytest.raises(FlowValidationError, match="fetchType"):
        flow("tasks:\n  - id: l\n    type: io.kestra.plugin.core.flow.Loop\n    values: [1]\n    fetchType: LAZY\n"
             "    tasks:\n      - {id: x, type: io.kestra.plugin.core.log.Log, message: m}\n")


def _trigger(spec: str) -> FlowTrigger:
    parsed = flow(TASKS + "triggers:\n  - id: t\n    type: io.kestra.plugin.core.trigger.Flow\n" + spec)
    trigger = parsed.triggers[0]  # type: ignore[attr-defined]
    assert isinstance(trigger, FlowTrigger)
    return trigger


def test_depends_on_window_forms() -> None:
    assert isinstance(_trigger("    dependsOn: [{flowId: a}]\n    window: {lookback: PT1H}\n").window, DependsOnWindow)
    legacy = _trigger("    dependsOn: [{flowId: a}]\n    window: {type: SLIDING_WINDOW, window: PT1H}\n").window
    assert isinstance(legacy, TimeWindow)
    deadline = _trigger("    dependsOn: [{flowId: a}]\n    window: {deadline: '09:00:00+01:00', fireOnce: true}\n"
                        "    onMiss: {behavior: FAIL, labels: {sla: miss}}\n")
    assert isinstance(deadline.window, DependsOnWindow) and deadline.window.fireOnce


@pytest.mark.parametrize(("spec", "message"), [
    ("    dependsOn: [{flowId: a}]\n    window: {deadline: '09:00:00', lookback: PT1H}\n", "one of deadline"),
    ("    dependsOn: [{flowId: a}]\n    window: {from: '06:00:00'}\n", "both `from` and `to`"),
    ("    dependsOn: [{flowId: a}]\n    window: {offset: PT1H}\n", "`offset` goes with `every`"),
    ("    dependsOn: [{flowId: a}]\n    mode: AT_LEAST\n", "minSatisfied between 1"),
    ("    dependsOn: [{flowId: a}]\n    mode: AT_LEAST\n    minSatisfied: 2\n", "minSatisfied between 1"),
    ("    dependsOn: [{flowId: a}]\n    minSatisfied: 1\n", "minSatisfied goes with mode AT_LEAST"),
    ("    dependsOn: [{flowId: a}]\n    onMiss: {behavior: FAIL}\n", "onMiss needs a window with a deadline"),
    ("    window: {every: P1D}\n", "go with dependsOn"),
    ("    dependsOn: [{flowId: a, states: [CREATED]}]\n", "not CREATED"),  # a start (RUNNING) is observable, creation is not
])
def test_depends_on_misuse(spec: str, message: str) -> None:
    with pytest.raises(FlowValidationError, match=message):
        _trigger(spec)


def test_checks_take_when_or_condition_not_both() -> None:
    assert flow(TASKS + "checks:\n  - when: '{{ true }}'\n    message: m\n").checks[0].expression == "{{ true }}"  # type: ignore[attr-defined]
    with pytest.raises(FlowValidationError, match="exactly one of them"):
        flow(TASKS + "checks:\n  - when: '{{ true }}'\n    condition: '{{ true }}'\n    message: m\n")


def test_worker_selector_keys_and_misuse() -> None:
    assert WorkerSelector(tags=["gpu", "eu"]).key() == "eu+gpu"
    assert WorkerSelector(tags=["gpu", "eu"], match="ANY").any_of() == ("eu", "gpu")
    assert worker_keys(("gpu", "eu", None)) == (None, "eu", "gpu", "eu+gpu")
    with pytest.raises(FlowValidationError, match="match and fallback can only be set with tags"):
        flow("tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: m\n    workerSelector: {fallback: WAIT}\n")
    with pytest.raises(FlowValidationError, match="String should match pattern"):
        flow("tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: m\n    workerSelector: {tags: [GPU]}\n")
    with pytest.raises(FlowValidationError, match="not both"):
        flow("tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: m\n"
             "    workerSelector: {tags: [gpu]}\n    workerGroup: {key: gpu}\n")
