"""execution.Labels, SetVariables and UnsetVariables: change the current execution's labels and variables.

These tasks compute the change and hand it to the executor through `ctx.effects`; the executor applies it
with the task's result (labels and variables are overlaid on the current ones)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_bool

SYSTEM_PREFIX = "system."


class LabelEntry(Frozen):
    key: str = Field(description="Label key (rendered).")
    value: Any = Field(description="Label value (rendered; a map becomes its JSON text).")


@TASKS.register
class Labels(RunnableTask):
    """Add labels to the current execution, or change the value of existing ones."""

    TYPE: ClassVar[str] = "execution.Labels"
    ALIASES: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.execution.Labels",
        "io.kestra.core.tasks.executions.Labels",
    )
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: by_map
type: io.kestra.plugin.core.execution.Labels
labels:
  customerId: "{{ trigger.body.customerId }}"
""",
        """\
id: by_list
type: io.kestra.plugin.core.execution.Labels
labels:
  - key: order_id
    value: "{{ trigger.body.orderId }}"
""",
    )

    labels: dict[str, Any] | list[LabelEntry] | str = Field(
        description="A key: value map, a list of {key, value}, or an expression rendering to a JSON object."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        labels = self._render(ctx)
        for key, value in labels.items():
            if key.startswith(SYSTEM_PREFIX):
                raise TaskFailed(f"system labels can only be set by Legato itself, offending label: {key}={value}")
            if not key:
                raise TaskFailed("a label key cannot be empty")
        ctx.effects.labels = {**(ctx.effects.labels or {}), **labels}
        return {}

    def _render(self, ctx: RunContext) -> dict[str, str]:
        if isinstance(self.labels, str):
            text = ctx.render_string(self.labels)
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                raise TaskFailed(f"property 'labels' must render to a JSON object of key: value, got {text!r}")
            return {str(k): _label_text(v) for k, v in parsed.items()}
        pairs = self.labels.items() if isinstance(self.labels, dict) else ((e.key, e.value) for e in self.labels)
        return {ctx.render_string(k): _label_text(ctx.render(v)) for k, v in pairs}


def _label_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@TASKS.register
class SetVariables(RunnableTask):
    """Set variables of the current execution, readable afterwards as `{{ vars.<name> }}`."""

    TYPE: ClassVar[str] = "execution.SetVariables"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.execution.SetVariables",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: set_vars
type: io.kestra.plugin.core.execution.SetVariables
variables:
  message: Hello
  name: "{{ inputs.name }}"
""",
    )

    variables: dict[str, Any] = Field(description="Variables to set (rendered); nested maps merge into existing ones.")
    overwrite: bool | Expression = Field(
        default=True, description="When false, setting a variable that already exists fails the task."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        rendered: dict[str, Any] = ctx.render(self.variables)
        if not render_bool(ctx, self.overwrite, "overwrite"):
            existing = sorted(k for k in rendered if k in ctx.execution.variables)
            if existing:
                raise TaskFailed(
                    "`overwrite` is set to false and the following variables already exist: " + ",".join(existing)
                )
        ctx.effects.set_variables = {**(ctx.effects.set_variables or {}), **rendered}
        return {}


@TASKS.register
class UnsetVariables(RunnableTask):
    """Remove variables from the current execution (dotted names reach into nested maps)."""

    TYPE: ClassVar[str] = "execution.UnsetVariables"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.execution.UnsetVariables",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: unset
type: io.kestra.plugin.core.execution.UnsetVariables
variables:
  - message
  - credentials.token
""",
    )

    variables: list[str] = Field(min_length=1, description="Names of the variables to remove (rendered).")
    ignoreMissing: bool | Expression = Field(
        default=False, description="When false, removing a variable that does not exist fails the task."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        names = [ctx.render_string(name) for name in self.variables]
        if not render_bool(ctx, self.ignoreMissing, "ignoreMissing"):
            missing = [n for n in names if not _has_path(ctx.execution.variables, n)]
            if missing:
                raise TaskFailed(
                    "these variables do not exist (set `ignoreMissing: true` to allow this): " + ", ".join(missing)
                )
        ctx.effects.unset_variables = [*(ctx.effects.unset_variables or []), *names]
        return {}


def _has_path(variables: dict[str, Any], dotted: str) -> bool:
    node: Any = variables
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
