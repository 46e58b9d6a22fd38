"""The surface third-party plugins build on: import from here, nothing else of Legato's.
The guide is docs/plugins.md ("Write your first plugin").

A plugin package declares an entry point in the group `legato.plugins` naming a module; importing that
module registers its classes. Three kinds of class:

- a runnable task: subclass `RunnableTask`, implement `async def run(self, ctx: RunContext) -> dict` (its
  outputs), raise `TaskFailed` to fail; register with `@TASKS.register`.
- a polling trigger: subclass `PollingTrigger` (it has `interval`), implement `source()` returning an object
  with `async def poll(self, ctx: TriggerContext) -> Poll | None`; register with `@TRIGGERS.register`.
- a realtime trigger: subclass `RealtimeTrigger`, implement `source()` returning an object whose
  `messages(ctx)` is an async iterator of `Message`; register with `@TRIGGERS.register`.

Each class sets `TYPE` (and Kestra's names in `ALIASES`), documents its properties with `Field(description=)`
(the JSON Schema, the editor's autocompletion and the plugin docs page come from them) and gives YAML
`EXAMPLES`. A dynamic property is typed `int | Expression` and read with `render_as(ctx, value, int, "name")`.
Heavy libraries are imported inside `run`, and named in `REQUIRES` with the extra that installs them in
`EXTRA`, so that a flow fails validation with the pip line to run when they are missing:

    from legato.sdk import TASKS, Field, RunContext, RunnableTask

    @TASKS.register
    class Hello(RunnableTask):
        TYPE = "acme.Hello"
        name: str = Field(description="Who to greet.")

        async def run(self, ctx: RunContext) -> dict:
            ctx.logger.info(f"Hello {ctx.render_string(self.name)}")
            return {}
"""

from pydantic import Field

from legato.model.durations import Duration
from legato.model.state import State
from legato.model.task import TASKS, TRIGGERS, Task
from legato.plugins.context import KV, Effects, Operations, RunContext, TaskFailed, TaskLogger
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_optional
from legato.plugins.triggers.base import (
    Message,
    Poll,
    PollingSource,
    PollingTrigger,
    RealtimeSource,
    RealtimeTrigger,
    TriggerContext,
)

__all__ = [
    "KV",
    "TASKS",
    "TRIGGERS",
    "Duration",
    "Effects",
    "Expression",
    "Field",
    "Message",
    "Operations",
    "Poll",
    "PollingSource",
    "PollingTrigger",
    "RealtimeSource",
    "RealtimeTrigger",
    "RunContext",
    "RunnableTask",
    "State",
    "Task",
    "TaskFailed",
    "TaskLogger",
    "TriggerContext",
    "render_as",
    "render_optional",
]
