"""output.OutputValues: publish rendered values as task outputs."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.runnable import RunnableTask


@TASKS.register
class OutputValues(RunnableTask):
    """Output values computed from expressions, available as `outputs.<id>.values.<key>`."""

    TYPE: ClassVar[str] = "output.OutputValues"
    ALIASES: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.output.OutputValues",
        "io.kestra.core.tasks.outputs.OutputValues",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: outputs
type: io.kestra.plugin.core.output.OutputValues
values:
  customer: "{{ inputs.customer }}"
  total: "{{ outputs.sum.value }}"
""",
    )

    values: dict[str, Any] = Field(
        default_factory=dict,
        description="Values to output; strings are rendered, and a string that is one whole expression keeps its type.",
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return {"values": ctx.render(self.values)}
