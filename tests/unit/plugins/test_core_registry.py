"""Every core task is registered under its canonical and Kestra names, documented, and its examples validate."""

from __future__ import annotations

import pytest

from legato.model.task import TASKS
from legato.plugins import core  # noqa: F401 - registers the core tasks
from legato.plugins.runnable import RunnableTask
from tests.unit.plugins.documented import assert_documented

# Listing the classes loads every plugin: keep the core ones.
CORE = sorted((c for c in TASKS.classes() if issubclass(c, RunnableTask) and c.__module__.startswith("legato.plugins.core.")),
              key=lambda c: c.TYPE)

EXPECTED = {
    "log.Log": ("io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log"),
    "debug.Return": ("io.kestra.plugin.core.debug.Return", "io.kestra.core.tasks.debugs.Return"),
    "debug.Echo": ("io.kestra.plugin.core.debug.Echo", "io.kestra.core.tasks.debugs.Echo"),
    "output.OutputValues": ("io.kestra.plugin.core.output.OutputValues", "io.kestra.core.tasks.outputs.OutputValues"),
    "execution.Fail": ("io.kestra.plugin.core.execution.Fail", "io.kestra.core.tasks.executions.Fail"),
    "execution.Exit": ("io.kestra.plugin.core.execution.Exit",),
    "execution.Assert": ("io.kestra.plugin.core.execution.Assert",),
    "execution.Labels": ("io.kestra.plugin.core.execution.Labels", "io.kestra.core.tasks.executions.Labels"),
    "execution.SetVariables": ("io.kestra.plugin.core.execution.SetVariables",),
    "execution.UnsetVariables": ("io.kestra.plugin.core.execution.UnsetVariables",),
    "execution.Resume": ("io.kestra.plugin.core.execution.Resume",),
    "flow.Sleep": ("io.kestra.plugin.core.flow.Sleep",),
    "trigger.Toggle": ("io.kestra.plugin.core.trigger.Toggle", "io.kestra.core.tasks.trigger.Toggle"),
    "kv.Set": ("io.kestra.plugin.core.kv.Set",),
    "kv.Get": ("io.kestra.plugin.core.kv.Get",),
    "kv.GetKeys": ("io.kestra.plugin.core.kv.GetKeys",),
    "kv.Delete": ("io.kestra.plugin.core.kv.Delete",),
    "kv.PurgeKV": ("io.kestra.plugin.core.kv.PurgeKV",),
    "state.Set": ("io.kestra.plugin.core.state.Set", "io.kestra.core.tasks.states.Set"),
    "state.Get": ("io.kestra.plugin.core.state.Get", "io.kestra.core.tasks.states.Get"),
    "state.Delete": ("io.kestra.plugin.core.state.Delete", "io.kestra.core.tasks.states.Delete"),
}


def test_every_core_task_is_registered_under_all_its_names():
    assert {c.TYPE for c in CORE} >= set(EXPECTED)
    for canonical, aliases in EXPECTED.items():
        cls = TASKS.lookup(canonical)
        assert cls is not None and aliases == cls.ALIASES
        assert all(TASKS.lookup(alias) is cls for alias in aliases)


@pytest.mark.parametrize("cls", CORE, ids=lambda c: c.TYPE)
def test_core_task_is_documented_and_its_examples_validate(cls):
    assert_documented(cls)


@pytest.mark.parametrize(("alias", "canonical"), [
    ("io.kestra.core.tasks.flows.Worker", "flow.WorkingDirectory"),  # WorkingDirectory's first name
    ("io.kestra.plugin.core.storage.PurgeExecution", "storage.PurgeCurrentExecutionFiles"),
    ("io.kestra.core.tasks.storages.PurgeExecution", "storage.PurgeCurrentExecutionFiles"),
])
def test_kestra_keeps_resolving_old_names(alias, canonical):
    from legato.model import flowable_worker  # noqa: F401 - registers WorkingDirectory

    assert TASKS.lookup(alias) is TASKS.lookup(canonical) is not None
