"""Test fixtures carried by an execution that a flow unit test created: the tasks a worker must not run
(their outputs and state are given instead) and the files the test put in internal storage."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from legato.model.state import TERMINAL, State


class TaskFixture(BaseModel):
    """One task of the flow under test that is not run: the worker reports `outputs` and `state` instead."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="The id of the task to mock.")
    description: str | None = Field(default=None, description="Why the task is mocked.")
    outputs: dict[str, Any] | None = Field(
        default=None, description="The outputs the task reports, rendered like task properties; none: it is skipped.")
    state: State = Field(default=State.SUCCESS, description="The state the task ends in (SUCCESS by default).")

    def model_post_init(self, _: Any) -> None:
        if self.state not in TERMINAL:
            raise ValueError(f"fixture of task '{self.id}': state must be a final state, not {self.state}")


class ExecutionFixtures(BaseModel):
    """What a test execution carries for its worker: the mocked tasks by id and the fixture files' URIs by
    name (expressions in the mocked outputs see them as `files`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tasks: dict[str, TaskFixture] = Field(default_factory=dict)
    files: dict[str, str] = Field(default_factory=dict)
