"""log.Log: write messages to the task's logs."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskLogger
from legato.plugins.runnable import Expression, RunnableTask, render_as

Level = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]


def log_at(logger: TaskLogger, level: Level, message: str) -> None:
    """Write `message` through `logger` at `level`."""
    match level:
        case "TRACE":
            logger.trace(message)
        case "DEBUG":
            logger.debug(message)
        case "INFO":
            logger.info(message)
        case "WARN":
            logger.warn(message)
        case "ERROR":
            logger.error(message)


@TASKS.register
class Log(RunnableTask):
    """Log one or more messages at a given level."""

    TYPE: ClassVar[str] = "log.Log"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: hello
type: io.kestra.plugin.core.log.Log
message: "Hello {{ inputs.name }}"
""",
        """\
id: several
type: io.kestra.plugin.core.log.Log
level: DEBUG
message:
  - "{{ task.id }} started"
  - Another line
""",
    )

    message: str | list[str] = Field(description="The message, or a list of messages, to log; each is rendered.")
    level: Level | Expression = Field(default="INFO", description="Log level: TRACE, DEBUG, INFO, WARN or ERROR.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        level: Level = render_as(ctx, self.level, Level, "level")
        messages = [self.message] if isinstance(self.message, str) else self.message
        for message in messages:
            log_at(ctx.logger, level, ctx.render_string(message))
        return {}
