"""flow.Sleep: wait for a while (ended early when the execution is killed)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from legato.model.durations import Duration, format_duration
from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.runnable import Expression, RunnableTask, render_duration


@TASKS.register
class Sleep(RunnableTask):
    """Pause the task for a duration; the worker slot stays busy while it sleeps."""

    TYPE: ClassVar[str] = "flow.Sleep"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.flow.Sleep",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: wait
type: io.kestra.plugin.core.flow.Sleep
duration: PT5S
""",
    )

    duration: Duration | Expression = Field(description="How long to sleep (ISO-8601 duration such as PT30S).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        duration = render_duration(ctx, self.duration, "duration")
        ctx.logger.info(f"Waiting for {format_duration(duration)}")  # as Kestra logs it (log.Fetch counts it)
        await ctx.sleep(duration.total_seconds())
        return {}
