"""The surface third-party plugins build on: import from here, nothing else of Legato's.

A plugin package declares an entry point in the group `legato.plugins` naming a module; importing that
module registers its classes:

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
from legato.plugins.runnable import Expression, RunnableTask

__all__ = [
    "KV",
    "TASKS",
    "TRIGGERS",
    "Duration",
    "Effects",
    "Expression",
    "Field",
    "Operations",
    "RunContext",
    "RunnableTask",
    "State",
    "Task",
    "TaskFailed",
    "TaskLogger",
]
