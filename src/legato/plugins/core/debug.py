"""debug.Return and debug.Echo: render a template, into an output or into the logs."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.core.log import Level, log_at
from legato.plugins.runnable import Expression, RunnableTask, render_as


@TASKS.register
class Return(RunnableTask):
    """Render a template and return it as the `value` output (handy to debug expressions)."""

    TYPE: ClassVar[str] = "debug.Return"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.debug.Return", "io.kestra.core.tasks.debugs.Return")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: greeting
type: io.kestra.plugin.core.debug.Return
format: "Hello {{ inputs.name }} at {{ taskrun.startDate }}"
""",
    )

    format: str | None = Field(default=None, description="The template to render; its text is `outputs.<id>.value`.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return {"value": None if self.format is None else ctx.render_string(self.format)}


@TASKS.register
class Echo(RunnableTask):
    """Deprecated: render a template and log it (use log.Log)."""

    TYPE: ClassVar[str] = "debug.Echo"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.debug.Echo", "io.kestra.core.tasks.debugs.Echo")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: echo
type: io.kestra.plugin.core.debug.Echo
level: WARN
format: "{{ task.id }} > {{ taskrun.startDate }}"
""",
    )

    format: str = Field(description="The template to render and log.")
    level: Level | Expression = Field(default="INFO", description="Log level: TRACE, DEBUG, INFO, WARN or ERROR.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        level: Level = render_as(ctx, self.level, Level, "level")
        log_at(ctx.logger, level, ctx.render_string(self.format))
        return {}
