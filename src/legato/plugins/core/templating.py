"""templating.TemplatedTask: a runnable task whose definition is itself rendered first (its `spec`), then run;
and Kestra's deprecated flow.Template, refused with the way out (templates were removed from Kestra)."""

from __future__ import annotations

from typing import Any, ClassVar

import yaml
from pydantic import Field, ValidationError, model_validator

from legato.model.task import TASKS, Task
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import RunnableTask


@TASKS.register
class TemplatedTask(RunnableTask):
    """Render `spec` (a task's YAML without its id), then run the runnable task it describes in this task run."""

    TYPE: ClassVar[str] = "templating.TemplatedTask"
    ALIASES: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.templating.TemplatedTask", "io.kestra.core.tasks.templating.TemplatedTask",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: templated
type: io.kestra.plugin.core.templating.TemplatedTask
spec: |
  type: io.kestra.plugin.core.debug.Return
  {{ inputs.property }}: "{{ inputs.value }}"
""",
    )

    spec: str = Field(description="The task's YAML (rendered first); its `id` is this task's.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        task = self.described(ctx.render_string(self.spec))
        return await task.run(ctx)

    def described(self, text: str) -> RunnableTask:
        """The runnable task `text` describes; TaskFailed naming what is wrong with it."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise TaskFailed(f"property 'spec' is not YAML once rendered: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise TaskFailed("property 'spec' must describe a task: a map with its `type`")
        cls = TASKS.lookup(data["type"])
        if cls is None:
            raise TaskFailed(f"property 'spec': unknown task type {data['type']!r}")
        if issubclass(cls, TemplatedTask) or not issubclass(cls, RunnableTask):
            raise TaskFailed(f"property 'spec': {data['type']} cannot be templated; a TemplatedTask runs a runnable task")
        try:
            return cls.model_validate({"id": self.id, **data})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise TaskFailed(f"property 'spec'{f' ({where})' if where else ''}: {first.get('msg')}") from None


@TASKS.register
class Template(Task):
    """Kestra's deprecated template include. Templates were removed from Kestra (deprecated in 0.11, gone since);
    Legato keeps no template store and refuses the task at validation, saying how to replace it."""

    TYPE: ClassVar[str] = "flow.Template"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.flow.Template", "io.kestra.core.tasks.flows.Template")

    namespace: str | None = Field(default=None, description="Namespace of the template.")
    templateId: str | None = Field(default=None, description="Id of the template.")
    args: dict[str, Any] | None = Field(default=None, description="Arguments of the template.")

    @model_validator(mode="after")
    def _removed(self) -> Template:
        named = f" {self.templateId!r}" if self.templateId else ""
        raise ValueError(f"templates were removed from Kestra (deprecated since 0.11) and Legato has none: inline the "
                         f"tasks of the template{named} here, or call a flow holding them with "
                         "io.kestra.plugin.core.flow.Subflow")
