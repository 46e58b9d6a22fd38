"""Test-only task types in their own registries, so these tests do not depend on the core plugins."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import Field

from legato.model.flow import Flow
from legato.model.loader import load_flow
from legato.model.task import Task, TaskRegistry
from legato.model.taskfield import TaskList
from legato.model.triggers import Schedule, Webhook

TEST_TASKS = TaskRegistry()
TEST_TRIGGERS = TaskRegistry()
TEST_TRIGGERS.register(Schedule)
TEST_TRIGGERS.register(Webhook)


@TEST_TASKS.register
class Echo(Task):
    TYPE: ClassVar[str] = "test.Echo"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log")
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: hi\ntype: test.Echo\nmessage: hello",)

    message: str = Field(description="What to print.")
    level: str = Field(default="INFO", description="Log level.")
    headers: dict[str, Any] = Field(default_factory=dict, description="A map, to test deep merges.")


@TEST_TASKS.register
class Script(Task):
    TYPE: ClassVar[str] = "io.kestra.plugin.scripts.python.Script"
    script: str = Field(description="Code.")
    containerImage: str = Field(default="python:3.11", description="Image.")


@TEST_TASKS.register
class Group(Task):
    TYPE: ClassVar[str] = "test.Group"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.flow.Sequential",)
    FLOWABLE: ClassVar[bool] = True

    tasks: TaskList = Field(min_length=1, description="Children.")
    cases: dict[str, TaskList] = Field(default_factory=dict, description="Children by case, to test nested maps.")

    def branches(self) -> dict[str, list[Task]]:
        out = {"tasks": list(self.tasks)}
        out.update({f"cases.{k}": list(v) for k, v in self.cases.items()})
        return out


def load(text: str, source: str = "flow.yaml") -> Flow:
    return load_flow(text, source=source, registry=TEST_TASKS, triggers=TEST_TRIGGERS)


@pytest.fixture
def minimal() -> str:
    return "id: hello\nnamespace: company.team\ntasks:\n  - id: hi\n    type: test.Echo\n    message: hello\n"
