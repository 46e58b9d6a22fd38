"""Legato stand-ins for the task and trigger types that Kestra's own test suite adds to its classpath
(kestra-io/kestra core/src/test/java: io.kestra.core.tasks.test.*, io.kestra.core.runners.test.*), so that the
corpus flows written for them parse and, where the behaviour is plain, run. Loaded by
tests/compat/kestra_corpus.py only (through LEGATO_EXTRA_PLUGINS or an import), never by Legato itself.

Written from what each type does in Kestra's tests, not from its code. Types whose only purpose is to break
Kestra's Java internals (BadSequential, BadExecutable, DynamicTask, Encrypted) are accepted so the flows parse,
and fail when run: the corpus script skips the cases that use them and says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.flowable import Sequential, Subflow
from legato.model.task import TASKS, TRIGGERS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import RunnableTask
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext

_TEST = "io.kestra.core.tasks.test."
_RUNNERS = "io.kestra.core.runners.test."


@TASKS.register
class TaskWithAlias(RunnableTask):
    """Logs `message`; known under two names, as Kestra's alias test needs."""

    TYPE: ClassVar[str] = "kestratest.TaskWithAlias"
    ALIASES: ClassVar[tuple[str, ...]] = (_RUNNERS + "TaskWithAlias", _RUNNERS + "task.Alias")

    message: str = Field(description="Text to log.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        ctx.logger.info(ctx.render_string(self.message))
        return {}


@TASKS.register
class TaskThatFail(RunnableTask):
    """Fails, with `message` as an output of the failed attempt."""

    TYPE: ClassVar[str] = "kestratest.TaskThatFail"
    ALIASES: ClassVar[tuple[str, ...]] = (_RUNNERS + "TaskThatFail",)

    message: str = Field(description="Output of the failed run.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        raise TaskFailed("An exception occurs", outputs={"message": ctx.render_string(self.message)})


@TASKS.register
class NullOutputTask(RunnableTask):
    """Returns one output, `value`, that is null."""

    TYPE: ClassVar[str] = "kestratest.NullOutputTask"
    ALIASES: ClassVar[tuple[str, ...]] = (_TEST + "NullOutputTask",)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return {"value": None}


@TASKS.register
class Read(RunnableTask):
    """Returns the text of a file of the working directory."""

    TYPE: ClassVar[str] = "kestratest.Read"
    ALIASES: ClassVar[tuple[str, ...]] = (_TEST + "Read",)

    path: str = Field(description="Path relative to the working directory.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if ctx.working_dir is None:
            raise TaskFailed("Read runs inside a WorkingDirectory")
        target = (ctx.working_dir / ctx.render_string(self.path).lstrip("/")).resolve()
        if not target.is_relative_to(ctx.working_dir.resolve()) or not target.is_file():
            raise TaskFailed(f"no file {self.path} in the working directory")
        return {"value": Path(target).read_text()}


@TASKS.register
class WorkerTaskResultTooLarge(RunnableTask):
    """Returns an output of 1.1 million characters."""

    TYPE: ClassVar[str] = "kestratest.WorkerTaskResultTooLarge"
    ALIASES: ClassVar[tuple[str, ...]] = (_RUNNERS + "WorkerTaskResultTooLarge",)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return {"value": "a" * 1_100_000}


class _JavaInternals(RunnableTask):
    """A type that exercises Kestra's Java internals; accepted so its flows parse, failing when run."""

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        raise TaskFailed(f"{self.type} only exists to test Kestra's Java internals")


@TASKS.register
class DynamicTask(_JavaInternals):
    TYPE: ClassVar[str] = "kestratest.DynamicTask"
    ALIASES: ClassVar[tuple[str, ...]] = (_TEST + "DynamicTask",)

    fail: bool = Field(default=False, description="Whether the injected task run fails.")


@TASKS.register
class Encrypted(_JavaInternals):
    TYPE: ClassVar[str] = "kestratest.Encrypted"
    ALIASES: ClassVar[tuple[str, ...]] = (_TEST + "Encrypted",)

    format: str | None = Field(default=None, description="Text Kestra would encrypt.")


@TASKS.register
class BadExecutable(Subflow):
    """A Subflow in shape; its Kestra counterpart throws when the subflow ends."""

    TYPE: ClassVar[str] = "kestratest.BadExecutable"
    ALIASES: ClassVar[tuple[str, ...]] = (_TEST + "BadExecutable",)


@TASKS.register
class BadSequential(Sequential):
    """A Sequential in shape; its Kestra counterpart throws when its state is resolved."""

    TYPE: ClassVar[str] = "kestratest.BadSequential"
    ALIASES: ClassVar[tuple[str, ...]] = (_TEST + "BadSequential",)


class _Never(PollingSource):
    async def poll(self, ctx: TriggerContext) -> Poll | None:
        return None


@TRIGGERS.register
class TriggerWithAlias(PollingTrigger):
    """A polling trigger that never fires; known under two names."""

    TYPE: ClassVar[str] = "kestratest.TriggerWithAlias"
    ALIASES: ClassVar[tuple[str, ...]] = (_RUNNERS + "TriggerWithAlias", _RUNNERS + "trigger.Alias")

    def source(self) -> PollingSource:
        return _Never()
