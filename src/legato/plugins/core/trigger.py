"""trigger.Toggle: enable or disable a trigger of a flow."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.runnable import Expression, RunnableTask, render_bool, render_optional_text


@TASKS.register
class Toggle(RunnableTask):
    """Enable or disable a trigger of a flow (this flow by default). As in Kestra, `enabled` defaults to false,
    so a Toggle without it disables the trigger. Fails when the flow or its trigger does not exist.
    Output `enabled`: whether the trigger is enabled now (Legato's addition; Kestra's Toggle has no outputs)."""

    TYPE: ClassVar[str] = "trigger.Toggle"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.trigger.Toggle", "io.kestra.core.tasks.trigger.Toggle")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: disable_schedule
type: io.kestra.plugin.core.trigger.Toggle
trigger: schedule
enabled: false
""",
    )

    namespace: str | None = Field(default=None, description="Namespace of the flow that has the trigger; this flow's by default.")
    flowId: str | None = Field(default=None, description="Id of the flow that has the trigger; this flow by default.")
    trigger: str = Field(description="Id of the trigger to toggle.")
    enabled: bool | Expression = Field(
        default=False, description="true enables the trigger, false (the default, as in Kestra) disables it."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace = render_optional_text(ctx, self.namespace) or ctx.flow_namespace
        flow_id = render_optional_text(ctx, self.flowId) or ctx.flow_id
        enabled = render_bool(ctx, self.enabled, "enabled")
        now_enabled = ctx.operations.toggle_trigger(namespace, flow_id, ctx.render_string(self.trigger), enabled)
        return {"enabled": now_enabled}
